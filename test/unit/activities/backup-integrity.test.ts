import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { scanBackupFile } from '../../../activities/backup-integrity';
import { syntheticDump } from './dump-fixtures';

let directory: string;

beforeAll(async () => {
  directory = await mkdtemp(path.join(os.tmpdir(), 'acttest-integrity-'));
});
afterAll(async () => {
  await rm(directory, { recursive: true, force: true });
});

async function scan(name: string, bytes: Buffer) {
  const file = path.join(directory, name);
  await writeFile(file, bytes);
  return scanBackupFile(file, name);
}

async function failureOf(name: string, bytes: Buffer): Promise<string> {
  return scan(name, bytes).then(
    () => 'passed',
    (err: { type?: string; nonRetryable?: boolean; message: string }) =>
      `${err.type} ${err.nonRetryable}: ${err.message}`,
  );
}

describe('scanBackupFile', () => {
  it('returns the manifest of a complete gzip dump', async () => {
    const gz = gzipSync(syntheticDump({ usersRows: 1000 }));
    const summary = await scan('good.sql.gz', gz);
    expect(summary.sizeBytes).toBe(gz.length);
    expect(summary.tables[0]).toEqual({ table: 'public.users', rows: 1000 });
    expect(summary.complete).toBe(true);
  });

  it('tells each kind of broken file apart, non-retryable, naming the file', async () => {
    const gz = gzipSync(syntheticDump({ usersRows: 20_000 }));
    const crcBroken = Buffer.from(gz);
    crcBroken[crcBroken.length - 6] ^= 0xff;
    expect(await failureOf('empty.sql.gz', Buffer.alloc(0))).toMatch(
      /^BackupEmpty true: backup empty\.sql\.gz is empty/,
    );
    expect(await failureOf('plain.sql.gz', Buffer.from(syntheticDump()))).toMatch(
      /^BackupNotGzip true: backup plain\.sql\.gz/,
    );
    expect(await failureOf('crc.sql.gz', crcBroken)).toMatch(/^BackupCorrupt true: backup crc\.sql\.gz is corrupt/);
    expect(await failureOf('cut.sql.gz', gz.subarray(0, Math.floor(gz.length / 2)))).toMatch(
      /^BackupTruncated true: backup cut\.sql\.gz is truncated/,
    );
    expect(await failureOf('partial.sql.gz', gzipSync(syntheticDump({ complete: false })))).toMatch(
      /^BackupIncomplete true: backup partial\.sql\.gz is incomplete/,
    );
    expect(await failureOf('nothing.sql.gz', gzipSync(Buffer.alloc(0)))).toMatch(
      /^BackupEmpty true: .*contains nothing/,
    );
  });

  it('refuses a dump that would \\connect to a database other than its own (pg_dump -C)', async () => {
    const withConnect = syntheticDump().replace(
      'SET statement_timeout = 0;',
      'CREATE DATABASE shop_db;\n\\connect argus_db',
    );
    expect(await failureOf('create.sql.gz', gzipSync(withConnect))).toMatch(
      /^BackupUnsafe true: backup create\.sql\.gz line 10: a psql \\connect to another database: \\connect argus_db/,
    );
  });

  it("accepts a --create dump's own CREATE DATABASE and \\connect", async () => {
    const own = syntheticDump().replace('SET statement_timeout = 0;', 'CREATE DATABASE shop_db;\n\\connect shop_db');
    expect(await failureOf('own.sql.gz', gzipSync(own))).toBe('passed');
  });
});
