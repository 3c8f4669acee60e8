import path from 'node:path';
import { Client } from 'pg';
import { afterAll, beforeAll, chai, describe, expect, it } from 'vitest';
import { createActivities } from '../../../activities';
import type { DrActivities } from '../../../shared/activity-contract';
import {
  dumpToFile,
  ensureImage,
  execText,
  inActivity,
  PASSWORD,
  query,
  removeContainers,
  startPostgres,
  tempDirectory,
  testTopology,
  type PostgresContainer,
} from './helpers';
import { craft, PWNED_PREFIX, readDump, tricks, writeDump, type CraftedDump, type Trick } from './hostile-dumps/corpus';
import { seedShop } from './seed';

/**
 * Issue 8, "Must show": hostile dumps. Every file is a real pg_dump 15 output of a seeded database with one trick
 * injected (hostile-dumps/corpus.ts). For each one, against a target server that holds a canary database, a
 * canary login role and a `postgres` superuser besides the service's role:
 *   (a) verifyBackup refuses it (BackupUnsafe naming the file, the line of the trick and the command);
 *   (b) restoreBackup refuses it, and nothing changed where the trick would land: no /tmp/pwned* file in the
 *       server's container, the canary database and its row, pg_database, pg_authid (attributes and password
 *       hashes), role memberships, database settings, postgresql.auto.conf all as before, the service's password
 *       still works, no side database and no opareta_restore_* role left;
 *   (c) with enforceDumpPolicy: false (the reader only records) the restore fails or changes nothing either:
 *       confinement alone (psql as nobody, an unprivileged role, psql's own \restrict) holds.
 */

chai.config.truncateThreshold = 0;

const SERVICE = 'shop';
const SIDE = 'shop_db_restore_hostile';
const CANARY_DB = 'canary_db';
const CANARY_ROLE = 'canary_role';
const CANARY_PASSWORD = 'canary-password';
const CANARY_ROW = 'canary-row';
const CORPUS = tricks({
  serviceUser: 'shop',
  otherDatabase: CANARY_DB,
  canaryRole: CANARY_ROLE,
  table: 'public.customers',
});

let source: PostgresContainer;
let target: PostgresContainer;
let backups: Awaited<ReturnType<typeof tempDirectory>>;
let enforcing: DrActivities;
let seam: DrActivities;
let baseline: Effects;
const crafted = new Map<string, CraftedDump & { file: string }>();
const results: string[] = [];

beforeAll(async () => {
  await ensureImage();
  backups = await tempDirectory('hostile');
  [source, target] = await Promise.all([startPostgres('hd-src'), startPostgres('hd-dst')]);
  await seedShop(source, 300);
  const real = 'shop_20240101_020000.sql.gz';
  await dumpToFile(source, path.join(backups.path, real));
  const dump = await readDump(path.join(backups.path, real));
  for (const trick of CORPUS) {
    const file = `shop_20200101_0000${trick.id}.sql.gz`;
    const one = craft(dump, trick);
    await writeDump(path.join(backups.path, file), one.text);
    crafted.set(trick.id, { ...one, file });
  }

  await query(target, `CREATE DATABASE ${CANARY_DB}`);
  await query(target, `CREATE TABLE canary (v text); INSERT INTO canary VALUES ('${CANARY_ROW}')`, CANARY_DB);
  await query(
    target,
    `CREATE ROLE ${CANARY_ROLE} LOGIN PASSWORD '${CANARY_PASSWORD}'; CREATE ROLE postgres SUPERUSER NOLOGIN`,
  );
  const topology = testTopology({ pg: target, backupDirectory: backups.path });
  enforcing = createActivities({ topology });
  seam = createActivities({ topology, enforceDumpPolicy: false });

  // Control: the real dump restores (and creates the roles it names, NOLOGIN, once), then the baseline is taken.
  await inActivity(() => enforcing.restoreBackup({ service: SERVICE, file: real, targetDatabase: SIDE }));
  await inActivity(() => enforcing.dropDatabase({ service: SERVICE, database: SIDE }));
  baseline = await effects();
});

afterAll(async () => {
  if (results.length) console.log(`hostile dumps:\n${results.join('\n')}`);
  await removeContainers([source?.name, target?.name].filter(Boolean));
  await backups?.remove();
});

interface Effects {
  pwnedFiles: string[];
  databases: unknown[];
  databaseSettings: unknown[];
  roles: unknown[];
  memberships: unknown[];
  autoConf: string;
  canary: unknown[];
  pwnedRelations: Record<string, unknown[]>;
  servicePasswordWorks: boolean;
  canaryPasswordWorks: boolean;
}

async function canLogIn(user: string, password: string, database: string): Promise<boolean> {
  const client = new Client({ host: '127.0.0.1', port: target.port, user, password, database });
  try {
    await client.connect();
    await client.query('SELECT 1');
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** Where every trick would land on the target server. */
async function effects(): Promise<Effects> {
  const tmp = await execText(target.name, ['ls', '-A', '/tmp']);
  const databases = await query<{ datname: string }>(
    target,
    'SELECT datname, datdba::regrole::text AS owner, datconnlimit, datallowconn, datistemplate, datacl::text FROM pg_database ORDER BY 1',
  );
  const pwnedRelations: Record<string, unknown[]> = {};
  for (const { datname } of databases.filter((d) => d.datname !== 'template0')) {
    const found = await query(target, "SELECT relname FROM pg_class WHERE relname LIKE 'pwned%'", datname);
    if (found.length) pwnedRelations[datname] = found;
  }
  return {
    pwnedFiles: tmp.split('\n').filter((f) => `/tmp/${f}`.startsWith(PWNED_PREFIX)),
    databases,
    databaseSettings: await query(
      target,
      'SELECT setdatabase, setrole, setconfig::text FROM pg_db_role_setting ORDER BY 1, 2',
    ),
    roles: await query(
      target,
      `SELECT rolname, rolsuper, rolinherit, rolcreaterole, rolcreatedb, rolcanlogin, rolreplication, rolbypassrls,
              rolconnlimit, rolpassword, rolvaliduntil::text FROM pg_authid ORDER BY 1`,
    ),
    memberships: await query(
      target,
      'SELECT roleid::regrole::text AS role, member::regrole::text AS member, admin_option FROM pg_auth_members ORDER BY 1, 2',
    ),
    autoConf: await execText(target.name, ['cat', '/var/lib/postgresql/data/postgresql.auto.conf']),
    canary: await query(target, 'SELECT v FROM canary ORDER BY v', CANARY_DB),
    pwnedRelations,
    servicePasswordWorks: await canLogIn(target.user, PASSWORD, target.database),
    canaryPasswordWorks: await canLogIn(CANARY_ROLE, CANARY_PASSWORD, CANARY_DB),
  };
}

async function expectNoEffect(): Promise<void> {
  const after = await effects();
  expect(after.pwnedFiles).toEqual([]);
  expect(after.canary).toEqual([{ v: CANARY_ROW }]);
  expect(after.databases.map((d) => (d as { datname: string }).datname)).not.toContain(SIDE);
  expect(JSON.stringify(after.roles)).not.toMatch(/opareta_restore_/);
  expect(after.servicePasswordWorks).toBe(true);
  expect(after.canaryPasswordWorks).toBe(true);
  expect(after).toEqual(baseline);
}

interface Outcome {
  type: string;
  nonRetryable: boolean;
  message: string;
}

async function outcomeOf(promise: Promise<unknown>): Promise<Outcome> {
  return promise.then(
    () => ({ type: 'resolved', nonRetryable: false, message: '' }),
    (err: { type?: string; nonRetryable?: boolean; message?: string }) => ({
      type: err.type ?? 'Error',
      nonRetryable: err.nonRetryable ?? false,
      message: err.message ?? String(err),
    }),
  );
}

/** BackupUnsafe, non-retryable, `backup FILE line N: REASON: COMMAND`, with N where the trick was put. */
function expectRefusal(outcome: Outcome, dump: CraftedDump & { file: string }): void {
  const { trick } = dump;
  expect(outcome.type).toBe('BackupUnsafe');
  expect(outcome.nonRetryable).toBe(true);
  expect(outcome.message).toMatch(trick.reason);
  expect(outcome.message.startsWith(`backup ${dump.file} line ${dump.line}: `)).toBe(true);
  const command = outcome.message.slice(outcome.message.indexOf(': ', `backup ${dump.file} line`.length) + 2);
  expect(command.toLowerCase()).toContain(trick.command.toLowerCase());
}

function restore(activities: DrActivities, file: string) {
  return inActivity(() => activities.restoreBackup({ service: SERVICE, file, targetDatabase: SIDE }));
}

/** A restore that went through (a trick the reader leaves out, or one psql ran without effect): drop its result. */
async function dropSideDatabase(): Promise<void> {
  await inActivity(() => enforcing.dropDatabase({ service: SERVICE, database: SIDE }));
}

function short(outcome: Outcome): string {
  return outcome.type === 'resolved' ? 'restored' : `${outcome.type}: ${outcome.message.slice(0, 220)}`;
}

describe('hostile dumps: a real pg_dump with one trick each', () => {
  it('has at least 20 tricks, each in its own file', () => {
    expect(CORPUS.length).toBeGreaterThanOrEqual(20);
    expect(crafted.size).toBe(CORPUS.length);
  });

  it.each(CORPUS.map((trick) => [`${trick.id} ${trick.title}`, trick] as [string, Trick]))(
    '%s',
    async (_name, trick) => {
      const dump = crafted.get(trick.id)!;

      // (a) verifyBackup
      const verified = await outcomeOf(inActivity(() => enforcing.verifyBackup({ service: SERVICE, file: dump.file })));
      if (trick.expect === 'refuse') expectRefusal(verified, dump);
      else expect(verified.type).toBe('resolved');

      // (b) restoreBackup, enforcing
      const enforced = await outcomeOf(restore(enforcing, dump.file));
      if (trick.expect === 'refuse' || trick.expect === 'verify-gap') expectRefusal(enforced, dump);
      else if (trick.expect === 'unseen') {
        // Refused by the server: the same refusal on every attempt.
        expect(enforced.type).toBe('RestoreSqlError');
        expect(enforced.message).toContain(`line ${dump.line} (`);
        expect(enforced.message).toMatch(trick.reason);
      } else {
        expect(enforced.type).toBe('resolved');
        await dropSideDatabase();
      }
      await expectNoEffect();

      // (c) restoreBackup with the reader only recording: confinement alone
      const confined = await outcomeOf(restore(seam, dump.file));
      if (confined.type === 'resolved') await dropSideDatabase();
      else expect(['RestoreSqlError', 'RestoreFailed']).toContain(confined.type);
      await expectNoEffect();

      results.push(
        `${trick.id} ${trick.title} [line ${dump.line}]\n   (a) ${short(verified)}\n   (b) ${short(enforced)}\n   (c) ${short(confined)}`,
      );
    },
  );
});
