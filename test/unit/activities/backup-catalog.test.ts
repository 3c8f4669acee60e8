import { mkdtemp, mkdir, rm, symlink, utimes, writeFile } from 'node:fs/promises';
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
import { serviceSchema, type ServiceConfig } from '../../../shared/node/topology';

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

function refusal(promise: Promise<unknown>) {
  return promise.then(
    () => ({ type: 'resolved', nonRetryable: false, message: '' }),
    (err: { type?: string; nonRetryable?: boolean; message: string }) => ({
      type: err.type,
      nonRetryable: err.nonRetryable,
      message: err.message,
    }),
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

describe('a named backup belongs to its service', () => {
  it.each(['file', 'previous'] as const)(
    "refuses another service's backup by %s, naming the file, the service and the expected pattern",
    async (kind) => {
      const err = await refusal(
        selectFromCatalog('hermes', config, { kind, file: 'argus_20231201_020000.sql.gz' }, now),
      );
      expect(err).toMatchObject({ type: 'InvalidInput', nonRetryable: true });
      expect(err.message).toContain('argus_20231201_020000.sql.gz');
      expect(err.message).toContain('service hermes');
      expect(err.message).toContain('hermes_{YYYYMMDD}_{HHMMSS}.sql.gz');
      expect(err.message).toContain('{service}_{YYYYMMDD}_{HHMMSS}.sql.gz');
    },
  );

  it.each([
    'hermes_latest.sql.gz',
    'hermes_inside_link.sql.gz',
    'hermes_foo.sql.gz',
    'hermes_20231201_020000.sql',
    'xhermes_20231201_020000.sql.gz',
    'notes.txt',
  ])('refuses the hand-named %s whether or not it exists, before looking at the file', async (file) => {
    for (const kind of ['file', 'previous'] as const) {
      const err = await refusal(selectFromCatalog('hermes', config, { kind, file }, now));
      expect(err).toMatchObject({ type: 'InvalidInput', nonRetryable: true });
      expect(err.message).toMatch(new RegExp(`^refusing backup ${file.replace(/\./g, '\\.')} for service hermes`));
    }
  });

  it('refuses a conforming name whose date is impossible', async () => {
    const err = await refusal(
      selectFromCatalog('hermes', config, { kind: 'file', file: 'hermes_20231341_020000.sql.gz' }, now),
    );
    expect(err).toMatchObject({ type: 'InvalidInput', nonRetryable: true });
    expect(err.message).toMatch(/hermes_20231341_020000\.sql\.gz .*not a real UTC time/);
  });

  it('still refuses paths and escaping symlinks as such, and a missing conforming file is BackupNotFound', async () => {
    for (const file of ['../secret.sql.gz', '/etc/passwd', 'hermes_20231202_010000.sql.gz']) {
      expect(await failureType(selectFromCatalog('hermes', config, { kind: 'file', file }, now))).toBe(
        'PathOutsideBackupDirectory (non-retryable)',
      );
    }
    expect(
      await failureType(selectFromCatalog('hermes', config, { kind: 'file', file: 'hermes_20990101_000000.sql.gz' })),
    ).toBe('BackupNotFound (non-retryable)');
  });

  it('takes the age from the name, never the modification time, however far off it is', async () => {
    const file = 'hermes_20231130_020000.sql.gz';
    for (const mtime of [new Date('2001-01-01T00:00:00Z'), new Date('2099-01-01T00:00:00Z')]) {
      await utimes(path.join(directory, file), mtime, mtime);
      const selected = await selectFromCatalog('hermes', config, { kind: 'file', file }, now);
      expect(selected).toMatchObject({ takenAt: '2023-11-30T02:00:00.000Z', ageHours: 48 });
      const listed = (await listBackupCatalog('hermes', config, now)).backups.find((b) => b.file === file);
      expect(listed).toMatchObject({ takenAt: '2023-11-30T02:00:00.000Z', ageHours: 48 });
    }
  });

  it("follows the service's own pattern, not the default one", async () => {
    const custom = { ...config, backupPattern: 'nightly-{service}-{YYYYMMDD}T{HHMMSS}.sql.gz' };
    await writeFile(path.join(directory, 'nightly-hermes-20231128T020000.sql.gz'), 'x');
    const selected = await selectFromCatalog(
      'hermes',
      custom,
      { kind: 'file', file: 'nightly-hermes-20231128T020000.sql.gz' },
      now,
    );
    expect(selected).toMatchObject({ takenAt: '2023-11-28T02:00:00.000Z', ageHours: 96 });
    const err = await refusal(
      selectFromCatalog('hermes', custom, { kind: 'file', file: 'hermes_20231201_020000.sql.gz' }, now),
    );
    expect(err).toMatchObject({ type: 'InvalidInput', nonRetryable: true });
    expect(err.message).toContain('expected nightly-hermes-{YYYYMMDD}T{HHMMSS}.sql.gz');
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
