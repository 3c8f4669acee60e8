import { restoreRoleName } from '../../../activities/restore-confinement';
import { createReadStream } from 'node:fs';
import { copyFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { createGunzip, gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createActivities } from '../../../activities';
import { RESTORE_BACKUP_ACTIVITY, type BackupManifest, type DrActivities } from '../../../shared/activity-contract';
import {
  dumpToFile,
  ensureImage,
  failureOf,
  inActivity,
  query,
  removeContainers,
  startPostgres,
  tempDirectory,
  testTopology,
  type PostgresContainer,
} from './helpers';
import { SHOP_VERIFICATION, seedShop } from './seed';

const FILE = 'shop_20240101_020000.sql.gz';
let source: PostgresContainer;
let target: PostgresContainer;
let backups: Awaited<ReturnType<typeof tempDirectory>>;
let activities: DrActivities;
let manifest: BackupManifest;

beforeAll(async () => {
  await ensureImage();
  backups = await tempDirectory('restore');
  [source, target] = await Promise.all([startPostgres('src'), startPostgres('dst')]);
  await seedShop(source);
  await dumpToFile(source, path.join(backups.path, FILE));
  activities = createActivities({
    topology: testTopology({ pg: target, backupDirectory: backups.path, verification: SHOP_VERIFICATION }),
  });
  manifest = await inActivity(() => activities.verifyBackup({ service: 'shop', file: FILE }));
});

afterAll(async () => {
  await removeContainers([source?.name, target?.name].filter(Boolean));
  await backups?.remove();
});

async function fileContains(file: string, needle: RegExp): Promise<boolean> {
  let tail = '';
  for await (const chunk of createReadStream(file).pipe(createGunzip())) {
    const text = tail + (chunk as Buffer).toString('utf8');
    if (needle.test(text)) return true;
    tail = text.slice(-200);
  }
  return false;
}

describe('verifyBackup on a real pg_dump 15 dump', () => {
  it('builds the manifest: versions, exact rows per table, roles', () => {
    expect(manifest.pgDumpVersion).toMatch(/^15\./);
    expect(manifest.serverVersion).toMatch(/^15\./);
    expect(Object.fromEntries(manifest.tables.map((t) => [t.table, t.rows]))).toEqual({
      'public."Order Items"': 3,
      'public.customers': 5000,
      'public.empty_table': 0,
      'public.ledger_entries': 20000,
      'public.reports': 1,
      'public.transactions': 10000,
    });
    expect(manifest.roles).toEqual(expect.arrayContaining(['shop', 'reporting', 'Audit Team']));
    expect(manifest.uncompressedBytes).toBeGreaterThan(manifest.sizeBytes);
  });
});

describe(RESTORE_BACKUP_ACTIVITY, () => {
  it('restores a dump with \\restrict lines and grantees missing on the target; rows equal the manifest exactly', async () => {
    expect(await fileContains(path.join(backups.path, FILE), /^\\restrict \S+/m)).toBe(true);
    const missingBefore = await query(
      target,
      "SELECT rolname FROM pg_roles WHERE rolname IN ('reporting', 'Audit Team')",
    );
    expect(missingBefore).toEqual([]);

    const result = await inActivity(() =>
      activities.restoreBackup({ service: 'shop', file: FILE, targetDatabase: 'shop_db_restore_1' }),
    );
    expect(result.tables).toEqual(manifest.tables);
    expect(result.bytesRead).toBe(manifest.sizeBytes);

    const snapshot = await inActivity(() =>
      activities.snapshotDatabase({ service: 'shop', database: 'shop_db_restore_1' }),
    );
    expect([...snapshot.tables].sort((a, b) => a.table.localeCompare(b.table))).toEqual(
      [...manifest.tables].sort((a, b) => a.table.localeCompare(b.table)),
    );
    const roles = await query<{ rolname: string; rolcanlogin: boolean }>(
      target,
      "SELECT rolname, rolcanlogin FROM pg_roles WHERE rolname IN ('reporting', 'Audit Team') ORDER BY 1",
    );
    // Grantees are created NOLOGIN so the grants restore; owners are not: every object goes to the service role.
    expect(roles).toEqual([{ rolname: 'Audit Team', rolcanlogin: false }]);
    const owners = await query<{ owner: string }>(
      target,
      "SELECT DISTINCT tableowner AS owner FROM pg_tables WHERE schemaname = 'public'",
      'shop_db_restore_1',
    );
    // Until the swap, everything belongs to the throwaway restore role, which can no longer log in.
    expect(owners).toEqual([{ owner: restoreRoleName('shop_db_restore_1') }]);
    const restoreRoles = await query(
      target,
      "SELECT rolname, rolsuper, rolpassword IS NULL AS no_password FROM pg_authid WHERE rolname LIKE 'opareta\\_restore\\_%'",
    );
    expect(restoreRoles).toEqual([
      { rolname: restoreRoleName('shop_db_restore_1'), rolsuper: false, no_password: true },
    ]);
    const notes = await query<{ note: string }>(target, 'SELECT note FROM customers WHERE id = 7', 'shop_db_restore_1');
    expect(notes).toEqual([{ note: 'tab\there\nnewline \\ backslash' }]);
  });

  it('verifies the restored database: counts, service checks and amcheck all pass', async () => {
    const report = await inActivity(() =>
      activities.verifyRestoredDatabase({ service: 'shop', database: 'shop_db_restore_1', expected: manifest.tables }),
    );
    expect(report.checks.map((c) => [c.name, c.passed])).toEqual([
      ['connectivity', true],
      ['row counts equal the dump', true],
      ['shop has customers', true],
      ['ledger entries of each transaction sum to zero', true],
      ['amcheck btree indexes', true],
    ]);
    expect(report.checks.at(-1)?.detail).toMatch(/^\d+ indexes checked$/);
    expect(report.passed).toBe(true);
    // amcheck is template1's (the set-up's), not created by the check; the check ran as the restore role.
    expect(
      await query(
        target,
        "SELECT extowner::regrole::text AS owner FROM pg_extension WHERE extname = 'amcheck'",
        'shop_db_restore_1',
      ),
    ).toEqual([{ owner: 'shop' }]);

    const wrong = await inActivity(() =>
      activities.verifyRestoredDatabase({
        service: 'shop',
        database: 'shop_db_restore_1',
        expected: [{ table: 'public.customers', rows: 4999 }],
      }),
    );
    expect(wrong.passed).toBe(false);
    expect(wrong.checks[1].detail).toBe('public.customers: 5000 rows, dump has 4999');
  });

  it('starts clean on a retry into the same target and can use the host psql', async () => {
    await query(target, 'CREATE TABLE leftover (id int)', 'shop_db_restore_1');
    const again = await inActivity(() =>
      activities.restoreBackup({ service: 'shop', file: FILE, targetDatabase: 'shop_db_restore_1', via: 'host' }),
    );
    expect(again.tables).toEqual(manifest.tables);
    expect(await query(target, "SELECT 1 FROM pg_tables WHERE tablename = 'leftover'", 'shop_db_restore_1')).toEqual(
      [],
    );
    expect(await query(target, 'SELECT count(*)::int AS n FROM ledger_entries', 'shop_db_restore_1')).toEqual([
      { n: 20000 },
    ]);
  });

  it('refuses the live database, system databases, odd names and paths outside the backup directory', async () => {
    const restore = (targetDatabase: string, file = FILE) =>
      failureOf(inActivity(() => activities.restoreBackup({ service: 'shop', file, targetDatabase })));
    expect(await restore('shop_db')).toBe('RefuseLiveDatabase (non-retryable)');
    expect(await restore('template1')).toBe('InvalidInput (non-retryable)');
    expect(await restore('x"; DROP DATABASE shop_db; --')).toBe('InvalidInput (non-retryable)');
    expect(await restore('shop_db_side', '../../etc/passwd')).toBe('PathOutsideBackupDirectory (non-retryable)');
    expect(await restore('shop_db_side', '/etc/passwd')).toBe('PathOutsideBackupDirectory (non-retryable)');
    expect(
      await failureOf(inActivity(() => activities.verifyBackup({ service: 'shop', file: '../restore.sql.gz' }))),
    ).toBe('PathOutsideBackupDirectory (non-retryable)');
    expect(await failureOf(inActivity(() => activities.dropDatabase({ service: 'shop', database: 'shop_db' })))).toBe(
      'RefuseLiveDatabase (non-retryable)',
    );
    expect(await query(target, "SELECT 1 FROM pg_database WHERE datname = 'shop_db_side'")).toEqual([]);
  });

  it('restores a --inserts dump and counts INSERT statements per table', async () => {
    const file = 'shop_20240101_030000.sql.gz';
    await dumpToFile(source, path.join(backups.path, file), ['--inserts']);
    const inserts = await inActivity(() => activities.verifyBackup({ service: 'shop', file }));
    expect([...inserts.tables].sort((a, b) => a.table.localeCompare(b.table))).toEqual(
      [...manifest.tables].sort((a, b) => a.table.localeCompare(b.table)),
    );
    const result = await inActivity(() =>
      activities.restoreBackup({ service: 'shop', file, targetDatabase: 'shop_db_restore_inserts' }),
    );
    expect(result.tables).toEqual(inserts.tables);
    expect(await query(target, 'SELECT count(*)::int AS n FROM transactions', 'shop_db_restore_inserts')).toEqual([
      { n: 10000 },
    ]);
    await copyFile(path.join(backups.path, file), path.join(backups.path, 'shop_20240101_040000.sql.gz'));
  });

  it('names the statement when the dump needs more than a database owner; an extension in template1 allows it', async () => {
    const file = 'shop_20240101_050000.sql.gz';
    const dump = [
      "SET client_encoding = 'UTF8';",
      'SET standard_conforming_strings = on;',
      'CREATE EXTENSION IF NOT EXISTS pgstattuple WITH SCHEMA public;',
      'CREATE TABLE public.t (id integer);',
      'COPY public.t (id) FROM stdin;',
      '1',
      '\\.',
      '-- PostgreSQL database dump complete',
      '',
    ].join('\n');
    await writeFile(path.join(backups.path, file), gzipSync(dump));
    const restore = () =>
      inActivity(() => activities.restoreBackup({ service: 'shop', file, targetDatabase: 'shop_db_restore_ext' }));
    await expect(restore()).rejects.toThrow(
      /line 3 \(CREATE EXTENSION IF NOT EXISTS pgstattuple.*\): ERROR: +permission denied to create extension "pgstattuple"/i,
    );
    expect(await query(target, "SELECT 1 FROM pg_database WHERE datname = 'shop_db_restore_ext'")).toEqual([]);
    await query(target, 'CREATE EXTENSION IF NOT EXISTS pgstattuple', 'template1');
    try {
      expect((await restore()).tables).toEqual([{ table: 'public.t', rows: 1 }]);
    } finally {
      await query(target, 'DROP EXTENSION IF EXISTS pgstattuple', 'template1');
    }
  });
});
