import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createActivities } from '../../../activities';
import type { DrActivities } from '../../../shared/activity-contract';
import {
  dumpToFile,
  ensureImage,
  inActivity,
  query,
  removeContainers,
  startPostgres,
  tempDirectory,
  testTopology,
  type PostgresContainer,
} from './helpers';
import { seedShop } from './seed';

let pg: PostgresContainer;
let backups: Awaited<ReturnType<typeof tempDirectory>>;
let activities: DrActivities;

/** Each broken file made from one real dump, named by the convention so the catalog lists it. */
const BROKEN = {
  corrupt: 'shop_20240102_010000.sql.gz',
  truncated: 'shop_20240102_020000.sql.gz',
  empty: 'shop_20240102_030000.sql.gz',
  notGzip: 'shop_20240102_040000.sql.gz',
  incomplete: 'shop_20240102_050000.sql.gz',
};

beforeAll(async () => {
  await ensureImage();
  backups = await tempDirectory('broken');
  pg = await startPostgres('broken');
  await seedShop(pg, 2_000);
  const good = path.join(backups.path, 'shop_20240101_000000.sql.gz');
  await dumpToFile(pg, good);
  const gz = await readFile(good);
  const sql = gunzipSync(gz);
  const corrupt = Buffer.from(gz);
  for (let i = 0; i < 64; i++) corrupt[Math.floor(gz.length / 2) + i] ^= 0x5a;
  await writeFile(path.join(backups.path, BROKEN.corrupt), corrupt);
  await writeFile(path.join(backups.path, BROKEN.truncated), gz.subarray(0, Math.floor(gz.length * 0.6)));
  await writeFile(path.join(backups.path, BROKEN.empty), Buffer.alloc(0));
  await writeFile(path.join(backups.path, BROKEN.notGzip), sql);
  // pg_dump killed after its data: valid gzip, valid SQL up to a statement end, but no closing line.
  const lastCopyEnd = sql.lastIndexOf('\n\\.\n') + 4;
  await writeFile(path.join(backups.path, BROKEN.incomplete), gzipSync(sql.subarray(0, lastCopyEnd)));
  activities = createActivities({ topology: testTopology({ pg, backupDirectory: backups.path }) });
});

afterAll(async () => {
  await removeContainers([pg?.name].filter(Boolean));
  await backups?.remove();
});

function failure(promise: Promise<unknown>): Promise<{ type?: string; nonRetryable?: boolean; message: string }> {
  return promise.then(
    () => ({ message: 'resolved' }),
    (err: { type?: string; nonRetryable?: boolean; message: string }) => err,
  );
}

describe('broken backups', () => {
  it.each([
    ['corrupt', 'BackupCorrupt', /is corrupt/],
    ['truncated', 'BackupTruncated', /is truncated/],
    ['empty', 'BackupEmpty', /is empty/],
    ['notGzip', 'BackupNotGzip', /is not a gzip file/],
    ['incomplete', 'BackupIncomplete', /lacks pg_dump's closing/],
  ] as const)('verifyBackup tells a %s file by its own non-retryable error', async (kind, type, message) => {
    const err = await failure(inActivity(() => activities.verifyBackup({ service: 'shop', file: BROKEN[kind] })));
    expect(err.type).toBe(type);
    expect(err.nonRetryable).toBe(true);
    expect(err.message).toMatch(message);
    expect(err.message).toContain(BROKEN[kind]);
  });

  it.each(['corrupt', 'truncated', 'incomplete'] as const)(
    'restoreBackup of a %s file fails with the same error and leaves no target database',
    async (kind) => {
      const targetDatabase = `shop_db_broken_${kind}`;
      const err = await failure(
        inActivity(() => activities.restoreBackup({ service: 'shop', file: BROKEN[kind], targetDatabase })),
      );
      expect(err.type).toBe(
        { corrupt: 'BackupCorrupt', truncated: 'BackupTruncated', incomplete: 'BackupIncomplete' }[kind],
      );
      expect(await query(pg, `SELECT 1 FROM pg_database WHERE datname = '${targetDatabase}'`)).toEqual([]);
    },
  );

  it("a dump psql rejects fails for good as RestoreSqlError with psql's error, and leaves no target", async () => {
    const file = 'shop_20231231_000000.sql.gz';
    const sql = 'CREATE TABLE t (id int);\nSELECT no_such_function();\n--\n-- PostgreSQL database dump complete\n--\n';
    await writeFile(path.join(backups.path, file), gzipSync(sql));
    const err = await failure(
      inActivity(() => activities.restoreBackup({ service: 'shop', file, targetDatabase: 'shop_db_bad_sql' })),
    );
    expect(err.type).toBe('RestoreSqlError');
    expect(err.nonRetryable).toBe(true);
    expect(err.message).toMatch(
      /failed: psql [^:]+: line 2 \(SELECT NO_SUCH_FUNCTION \(\)\): ERROR: function no_such_function\(\) does not exist \(SQLSTATE 42883\)$/,
    );
    expect(await query(pg, "SELECT 1 FROM pg_database WHERE datname = 'shop_db_bad_sql'")).toEqual([]);
  });

  it('lists the broken files like any other backup: the catalog judges names, not contents', async () => {
    const catalog = await inActivity(() => activities.listBackups({ service: 'shop' }));
    expect(catalog.backups.map((b) => b.file)).toEqual(
      [...Object.values(BROKEN)].reverse().concat('shop_20240101_000000.sql.gz', 'shop_20231231_000000.sql.gz'),
    );
    const fallback = await inActivity(() =>
      activities.selectBackup({ service: 'shop', selector: { kind: 'previous', file: BROKEN.corrupt } }),
    );
    expect(fallback.file).toBe('shop_20240101_000000.sql.gz');
  });
});
