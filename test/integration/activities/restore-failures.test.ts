import { restoreRoleName } from '../../../activities/restore-confinement';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createActivities } from '../../../activities';
import type { DrActivities } from '../../../shared/activity-contract';
import {
  ensureImage,
  inActivity,
  query,
  removeContainers,
  startPostgres,
  tempDirectory,
  testTopology,
  type PostgresContainer,
} from './helpers';

/**
 * Issue 9, points 3, 4 and 9 against a real PostgreSQL 15: which restore failures are retried, what their
 * messages may carry, and which roles a restore leaves behind.
 */

const SECRET = 'sk_live_51HxQ2cLkT9vRz8WqYbN3mPdA';
const COMPLETE = '\n--\n-- PostgreSQL database dump complete\n--\n';
const HEAD = "SET client_encoding = 'UTF8';\nSET standard_conforming_strings = on;\n";

let pg: PostgresContainer;
let backups: Awaited<ReturnType<typeof tempDirectory>>;
let activities: DrActivities;
let fileNumber = 0;

beforeAll(async () => {
  await ensureImage();
  backups = await tempDirectory('restore-failures');
  pg = await startPostgres('failures');
  activities = createActivities({ topology: testTopology({ pg, backupDirectory: backups.path }) });
});

afterAll(async () => {
  await removeContainers([pg?.name].filter(Boolean));
  await backups?.remove();
});

/** Writes a dump under a conforming name and returns the name. */
async function writeBackup(sql: string): Promise<string> {
  fileNumber++;
  const file = `shop_20240301_${String(fileNumber).padStart(6, '0')}.sql.gz`;
  await writeFile(path.join(backups.path, file), gzipSync(HEAD + sql + COMPLETE));
  return file;
}

interface Failure {
  type?: string;
  nonRetryable?: boolean;
  message: string;
  /** Everything the failure would carry to Temporal: message, cause chain, stack. */
  serialized: string;
}

function failureOf(promise: Promise<unknown>): Promise<Failure> {
  return promise.then(
    () => {
      throw new Error('the restore succeeded');
    },
    (err: Error & { type?: string; nonRetryable?: boolean; cause?: unknown }) => {
      const parts: string[] = [];
      for (let e: unknown = err; e instanceof Error; e = (e as { cause?: unknown }).cause) {
        parts.push(e.message, e.stack ?? '');
      }
      return { type: err.type, nonRetryable: err.nonRetryable, message: err.message, serialized: parts.join('\n') };
    },
  );
}

const restore = (file: string, targetDatabase: string) =>
  inActivity(() => activities.restoreBackup({ service: 'shop', file, targetDatabase }));

async function roleNames(): Promise<string[]> {
  return (await query<{ rolname: string }>(pg, 'SELECT rolname FROM pg_roles ORDER BY 1')).map((r) => r.rolname);
}

async function databaseExists(name: string): Promise<boolean> {
  return (await query(pg, `SELECT 1 FROM pg_database WHERE datname = '${name}'`)).length > 0;
}

describe('a restore that fails on SQL: non-retryable, named, nothing secret', () => {
  it('a duplicate key in COPY data: the DETAIL with the token stays out; line, row, constraint and SQLSTATE are in', async () => {
    const file = await writeBackup(
      [
        'CREATE TABLE public.api_keys (id integer NOT NULL, token text NOT NULL);',
        'ALTER TABLE ONLY public.api_keys ADD CONSTRAINT api_keys_token_key UNIQUE (token);',
        'COPY public.api_keys (id, token) FROM stdin;',
        `1\t${SECRET}`,
        `2\t${SECRET}`,
        '\\.',
      ].join('\n'),
    );
    const err = await failureOf(restore(file, 'shop_db_restore_dup'));
    expect(err.type).toBe('RestoreSqlError');
    expect(err.nonRetryable).toBe(true);
    // HEAD is 2 lines: the COPY statement is line 5 and its `\.` line 8, where psql reports the error.
    // psql may stop before or after the last bytes were sent: what comes before `line` may differ. The unit that
    // failed (the parallel restore's COPY chunk) is named after `failed`.
    expect(err.message).toMatch(
      /^restore of shop_\S+ into shop_db_restore_dup failed \(public\.api_keys rows #1\): line 8 /,
    );
    expect(err.message.slice(err.message.indexOf(': line 8 '))).toBe(
      ': line 8 (COPY PUBLIC.API_KEYS (ID,TOKEN)FROM STDIN), data row 2 of the COPY block ending there: ' +
        'ERROR: duplicate key value violates unique constraint "api_keys_token_key" (SQLSTATE 23505)',
    );
    expect(err.serialized).not.toContain(SECRET);
    expect(await databaseExists('shop_db_restore_dup')).toBe(false);
  });

  it('an invalid value the ERROR line itself echoes, in an INSERT: value and VALUES redacted', async () => {
    const file = await writeBackup(
      [
        'CREATE TABLE public.accounts (id integer NOT NULL, external_id uuid);',
        `INSERT INTO public.accounts VALUES (1, '${SECRET}');`,
      ].join('\n'),
    );
    const err = await failureOf(restore(file, 'shop_db_restore_uuid'));
    expect(err.type).toBe('RestoreSqlError');
    expect(err.nonRetryable).toBe(true);
    expect(err.message).toMatch(
      /: line 4 \(INSERT INTO PUBLIC\.ACCOUNTS VALUES \(…\)\): ERROR: invalid input syntax for type uuid: "…" \(SQLSTATE 22P02\)$/,
    );
    expect(err.serialized).not.toContain(SECRET);
  });

  it('a value in COPY data: the column is named, its value is not', async () => {
    const file = await writeBackup(
      [
        'CREATE TABLE public.accounts (id integer NOT NULL, external_id uuid);',
        'COPY public.accounts (id, external_id) FROM stdin;',
        `1\t${SECRET}`,
        '\\.',
      ].join('\n'),
    );
    const err = await failureOf(restore(file, 'shop_db_restore_copy'));
    expect(err.type).toBe('RestoreSqlError');
    expect(err.message).toMatch(
      /: line 6 \(COPY PUBLIC\.ACCOUNTS \(ID,EXTERNAL_ID\)FROM STDIN\), data row 1 column external_id of the COPY block ending there: ERROR: invalid input syntax for type uuid: "…" \(SQLSTATE 22P02\)$/,
    );
    expect(err.serialized).not.toContain(SECRET);
  });

  it('a lost connection (the backend terminated mid-restore) is retryable RestoreFailed', async () => {
    const file = await writeBackup(['CREATE TABLE public.slow (id integer);', 'SELECT pg_sleep(60);'].join('\n'));
    const failed = failureOf(restore(file, 'shop_db_restore_lost'));
    let terminated = 0;
    for (let tries = 0; tries < 600 && terminated === 0; tries++) {
      const rows = await query<{ done: boolean }>(
        pg,
        "SELECT pg_terminate_backend(pid) AS done FROM pg_stat_activity WHERE query LIKE 'SELECT pg_sleep(60)%'",
      );
      terminated = rows.filter((r) => r.done).length;
      if (terminated === 0) await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(terminated).toBe(1);
    const err = await failed;
    expect(err.type).toBe('RestoreFailed');
    expect(err.nonRetryable).toBe(false);
    expect(err.message).toContain('psql exited with 2');
    expect(await databaseExists('shop_db_restore_lost')).toBe(false);
  });
});

describe('roles a restore created are dropped with its database', () => {
  const grants = (table: string) =>
    [
      `CREATE TABLE public.${table} (id integer);`,
      `GRANT SELECT ON TABLE public.${table} TO "ghost reader";`,
      `GRANT SELECT ON TABLE public.${table} TO ghost_auditor;`,
    ].join('\n');

  it('a restore kept: its grant roles stay while it exists; dropping it (a drill, a compensation) drops them', async () => {
    const before = await roleNames();
    const file = await writeBackup(grants('kept'));
    await restore(file, 'shop_db_drill_1');
    const during = await roleNames();
    // The throwaway restore role owns the database until a swap hands it over; it goes when the database goes.
    expect(during.filter((r) => !before.includes(r))).toEqual([
      'ghost reader',
      'ghost_auditor',
      restoreRoleName('shop_db_drill_1'),
    ]);
    expect(
      await query(
        pg,
        "SELECT has_table_privilege('ghost reader', 'public.kept', 'SELECT') AND has_table_privilege('ghost_auditor', 'public.kept', 'SELECT') AS granted",
        'shop_db_drill_1',
      ),
    ).toEqual([{ granted: true }]);

    await inActivity(() => activities.dropDatabase({ service: 'shop', database: 'shop_db_drill_1' }));
    expect(await roleNames()).toEqual(before);
  });

  it('a failed restore leaves no role behind: neither its restore role nor the roles it created', async () => {
    const before = await roleNames();
    const file = await writeBackup(`${grants('failing')}\nSELECT no_such_function();`);
    const err = await failureOf(restore(file, 'shop_db_restore_roles_failed'));
    expect(err.type).toBe('RestoreSqlError');
    expect(await roleNames()).toEqual(before);
  });

  it("a retry cleans the previous attempt's roles; a role another database's grants use is kept", async () => {
    const before = await roleNames();
    const file = await writeBackup(grants('shared'));
    await restore(file, 'shop_db_restore_a');
    // A second restore relies on the roles the first one created: it creates none.
    await restore(file, 'shop_db_restore_b');
    // A retry into A: the previous attempt's database goes, and its roles stay because B's grants use them.
    await restore(file, 'shop_db_restore_a');
    const restoreRoles = (...databases: string[]) => databases.map(restoreRoleName).sort();
    expect((await roleNames()).filter((r) => !before.includes(r))).toEqual([
      'ghost reader',
      'ghost_auditor',
      ...restoreRoles('shop_db_restore_a', 'shop_db_restore_b'),
    ]);

    await inActivity(() => activities.dropDatabase({ service: 'shop', database: 'shop_db_restore_a' }));
    expect((await roleNames()).filter((r) => !before.includes(r))).toEqual([
      'ghost reader',
      'ghost_auditor',
      ...restoreRoles('shop_db_restore_b'),
    ]);
    await inActivity(() => activities.dropDatabase({ service: 'shop', database: 'shop_db_restore_b' }));
    expect(await roleNames()).toEqual(before);
  });

  it('never drops a role that existed before, or one an SRE adopted', async () => {
    await query(pg, 'CREATE ROLE ghost_auditor NOLOGIN; CREATE ROLE alice LOGIN');
    const before = await roleNames();
    const file = await writeBackup(grants('adopted'));
    await restore(file, 'shop_db_restore_c');
    await query(pg, 'GRANT "ghost reader" TO alice');
    await inActivity(() => activities.dropDatabase({ service: 'shop', database: 'shop_db_restore_c' }));
    const after = await roleNames();
    expect(after).toContain('ghost_auditor');
    expect(after.filter((r) => !before.includes(r))).toEqual(['ghost reader']);
    await query(pg, 'DROP ROLE "ghost reader"; DROP ROLE ghost_auditor; DROP ROLE alice');
  });
});
