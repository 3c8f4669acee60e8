import { mkdtemp, mkdir, rm, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  compileBackupPattern,
  listBackupCatalog,
  parseBackupTime,
  selectFromCatalog,
} from '../../../activities/backup-catalog';
import { resolveBackupPath } from '../../../activities/backup-paths';
import { serviceSchema, type ServiceConfig } from '../../../shared/topology';

let root: string;
let directory: string;
let config: ServiceConfig;
const now = new Date('2023-12-02T02:00:00Z');

beforeAll(async () => {
  root = await mkdtemp(path.join(os.tmpdir(), 'acttest-catalog-'));
  directory = path.join(root, 'backups');
  await mkdir(directory);
  for (const name of [
    'hermes_20231201_020000.sql.gz',
    'hermes_20231130_020000.sql.gz',
    'hermes_20231129_020000.sql.gz',
    'argus_20231201_020000.sql.gz',
    'hermes_20231341_020000.sql.gz',
    'hermes_latest.sql.gz',
    'notes.txt',
  ]) {
    await writeFile(path.join(directory, name), name);
  }
  await writeFile(path.join(root, 'secret.sql.gz'), 'outside');
  await symlink(path.join(root, 'secret.sql.gz'), path.join(directory, 'hermes_20231202_010000.sql.gz'));
  await symlink(
    path.join(directory, 'hermes_20231130_020000.sql.gz'),
    path.join(directory, 'hermes_inside_link.sql.gz'),
  );
  config = serviceSchema.parse({
    database: 'hermes_db',
    user: 'hermes',
    password: { env: 'UNUSED' },
    databaseContainer: 'unused',
    appContainers: ['unused'],
    healthUrls: ['http://127.0.0.1:1/'],
    backupDirectory: directory,
  });
});

afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

function failureType(promise: Promise<unknown>) {
  return promise.then(
    () => 'resolved',
    (err: { type?: string; nonRetryable?: boolean }) => `${err.type}${err.nonRetryable ? ' (non-retryable)' : ''}`,
  );
}

describe('backup naming convention', () => {
  it('parses the time in the name as UTC and rejects impossible dates', () => {
    const pattern = compileBackupPattern('{service}_{YYYYMMDD}_{HHMMSS}.sql.gz', 'hermes');
    expect(parseBackupTime('hermes_20231201_020000.sql.gz', pattern)?.toISOString()).toBe('2023-12-01T02:00:00.000Z');
    expect(parseBackupTime('hermes_20231341_020000.sql.gz', pattern)).toBeUndefined();
    expect(parseBackupTime('hermes_20231201_020000.sql.gzx', pattern)).toBeUndefined();
    expect(parseBackupTime('argus_20231201_020000.sql.gz', pattern)).toBeUndefined();
  });
});

describe('listBackupCatalog', () => {
  it('lists this service newest first with size and age, reports malformed names, skips escaping symlinks', async () => {
    const catalog = await listBackupCatalog('hermes', config, now);
    expect(catalog.backups.map((b) => b.file)).toEqual([
      'hermes_20231201_020000.sql.gz',
      'hermes_20231130_020000.sql.gz',
      'hermes_20231129_020000.sql.gz',
    ]);
    expect(catalog.backups[0]).toMatchObject({ sizeBytes: 29, takenAt: '2023-12-01T02:00:00.000Z', ageHours: 24 });
    expect(catalog.malformed.sort()).toEqual([
      'hermes_20231341_020000.sql.gz',
      'hermes_inside_link.sql.gz',
      'hermes_latest.sql.gz',
    ]);
  });
});

describe('selectFromCatalog', () => {
  it('selects latest, a named file, the newest before a time, and the previous one', async () => {
    expect((await selectFromCatalog('hermes', config, { kind: 'latest' }, now)).file).toBe(
      'hermes_20231201_020000.sql.gz',
    );
    expect(
      (await selectFromCatalog('hermes', config, { kind: 'file', file: 'hermes_20231130_020000.sql.gz' }, now)).file,
    ).toBe('hermes_20231130_020000.sql.gz');
    expect(
      (await selectFromCatalog('hermes', config, { kind: 'before', before: '2023-11-30T12:00:00Z' }, now)).file,
    ).toBe('hermes_20231130_020000.sql.gz');
    expect(
      (await selectFromCatalog('hermes', config, { kind: 'previous', file: 'hermes_20231201_020000.sql.gz' }, now))
        .file,
    ).toBe('hermes_20231130_020000.sql.gz');
  });

  it('fails with BackupNotFound or InvalidInput, non-retryable', async () => {
    expect(
      await failureType(
        selectFromCatalog('hermes', config, { kind: 'previous', file: 'hermes_20231129_020000.sql.gz' }),
      ),
    ).toBe('BackupNotFound (non-retryable)');
    expect(
      await failureType(selectFromCatalog('hermes', config, { kind: 'before', before: '2020-01-01T00:00:00Z' })),
    ).toBe('BackupNotFound (non-retryable)');
    expect(await failureType(selectFromCatalog('hermes', config, { kind: 'before', before: 'yesterday' }))).toBe(
      'InvalidInput (non-retryable)',
    );
    expect(
      await failureType(
        selectFromCatalog('argus', { ...config, backupDirectory: path.join(root, 'none') }, { kind: 'latest' }),
      ),
    ).toBe('ConfigError (non-retryable)');
  });
});

describe('resolveBackupPath', () => {
  it.each([
    '../secret.sql.gz',
    '..',
    '/etc/passwd',
    'sub/hermes_20231201_020000.sql.gz',
    '..\\secret.sql.gz',
    'hermes_20231202_010000.sql.gz',
  ])('refuses %s as outside the backup directory', async (file) => {
    expect(await failureType(resolveBackupPath(directory, file))).toBe('PathOutsideBackupDirectory (non-retryable)');
  });

  it('accepts a plain name and a symlink that stays inside; a missing file is BackupNotFound', async () => {
    expect(await resolveBackupPath(directory, 'hermes_inside_link.sql.gz')).toBe(
      path.join(directory, 'hermes_inside_link.sql.gz'),
    );
    expect(await failureType(resolveBackupPath(directory, 'hermes_20990101_000000.sql.gz'))).toBe(
      'BackupNotFound (non-retryable)',
    );
  });
});
