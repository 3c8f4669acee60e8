import { randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, readdir, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import { getService, type ServiceConfig, type Topology } from '../shared/node/topology';
import { addActivity } from './data';
import { execInContainer } from '../shared/node/docker';
import { loadSandboxTopology } from './topology';

export interface BackupOptions {
  topology?: Topology;
  /** The time the file name carries (UTC); now by default. */
  timestamp?: Date;
  log?: (line: string) => void;
}

export interface BackupResult {
  service: string;
  file: string;
  bytes: number;
  timestamp: Date;
}

/**
 * A real backup, as the runbook's nightly job makes it: plain `pg_dump` inside the database container,
 * gzipped here, written to a temporary name and renamed, so a half-written file never carries the pattern.
 */
export async function backupService(service: string, options: BackupOptions = {}): Promise<BackupResult> {
  const topology = options.topology ?? loadSandboxTopology();
  const config = getService(topology, service);
  const timestamp = options.timestamp ?? new Date();
  const name = backupFileName(config.backupPattern, service, timestamp);
  const directory = config.backupDirectory;
  const file = path.join(directory, name);
  if (path.dirname(file) !== directory) throw new Error(`backup name ${name} leaves ${directory}`);
  await mkdir(directory, { recursive: true });
  if (await exists(file)) throw new Error(`backup ${file} already exists`);

  const temporary = path.join(directory, `.${name}.${randomBytes(4).toString('hex')}.partial`);
  // pg_dump's output is paused while gzip and the file lag behind: memory stays at a few buffers.
  const dump = new PassThrough({ highWaterMark: 1 << 20 });
  const errors: Buffer[] = [];
  const stderr = new PassThrough().on('data', (chunk: Buffer) => errors.push(chunk));
  const written = pipeline(dump, createGzip(), createWriteStream(temporary, { mode: 0o640 }));
  // Handled below; without this a write error while pg_dump still runs would be an unhandled rejection.
  written.catch(() => undefined);
  try {
    const { exitCode } = await execInContainer(
      config.databaseContainer,
      ['pg_dump', '-U', config.user, '-d', config.database, '--no-password'],
      { output: { stdout: dump, stderr } },
    );
    dump.end();
    await written;
    if (exitCode !== 0) {
      throw new Error(`pg_dump of ${service} exited with ${exitCode}: ${Buffer.concat(errors).toString().trim()}`);
    }
    await rename(temporary, file);
  } catch (err) {
    dump.destroy();
    // The exec also fails when the file side does (the dump stream closes under it): report that cause.
    const writeError = await written.then(
      () => undefined,
      (error: unknown) => error,
    );
    await rm(temporary, { force: true });
    const prematureClose = (writeError as { code?: string } | undefined)?.code === 'ERR_STREAM_PREMATURE_CLOSE';
    throw writeError && !prematureClose ? writeError : err;
  }
  const bytes = (await stat(file)).size;
  options.log?.(`sandbox: backup ${file} (${bytes} bytes)`);
  return { service, file, bytes, timestamp };
}

/** `{service}_{YYYYMMDD}_{HHMMSS}.sql.gz` filled in with UTC time. */
export function backupFileName(pattern: string, service: string, timestamp: Date): string {
  const iso = timestamp.toISOString();
  const name = pattern
    .replaceAll('{service}', service)
    .replaceAll('{YYYYMMDD}', iso.slice(0, 10).replaceAll('-', ''))
    .replaceAll('{HHMMSS}', iso.slice(11, 19).replaceAll(':', ''));
  if (name.includes('/') || name.includes('\\') || name.startsWith('.')) {
    throw new Error(`backup pattern ${pattern} must give a plain file name`);
  }
  return name;
}

/** Backup files of a service in its directory that follow the pattern, oldest first. */
export async function listSandboxBackups(service: string, config: ServiceConfig): Promise<string[]> {
  const tokens: Record<string, string> = {
    '{service}': escapeRegExp(service),
    '{YYYYMMDD}': '\\d{8}',
    '{HHMMSS}': '\\d{6}',
  };
  const source = config.backupPattern
    .split(/(\{service\}|\{YYYYMMDD\}|\{HHMMSS\})/)
    .map((part) => (Object.hasOwn(tokens, part) ? tokens[part] : escapeRegExp(part)))
    .join('');
  const matcher = new RegExp(`^${source}$`);
  const names = await readdir(config.backupDirectory).catch(() => [] as string[]);
  return names
    .filter((n) => matcher.test(n))
    .sort()
    .map((n) => path.join(config.backupDirectory, n));
}

const EARLIER_GENERATION_MS = 2 * 60 * 60 * 1000;

/**
 * Leaves at least two backup generations with different contents and times: the first stamped two hours
 * ago, then new activity, then one stamped now. Does nothing when two or more exist. Pass the same `now` for
 * every service to stamp a generation of the whole system alike, as one nightly job does.
 */
export async function ensureBackupGenerations(
  service: string,
  options: BackupOptions & { now?: Date } = {},
): Promise<string[]> {
  const topology = options.topology ?? loadSandboxTopology();
  const config = getService(topology, service);
  const existing = await listSandboxBackups(service, config);
  if (existing.length >= 2) return existing;
  const now = (options.now ?? new Date()).getTime();
  if (existing.length === 0) {
    await backupService(service, { ...options, topology, timestamp: new Date(now - EARLIER_GENERATION_MS) });
  }
  await addActivity(service, { topology });
  await backupService(service, { ...options, topology, timestamp: new Date(now) });
  return listSandboxBackups(service, config);
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

async function exists(file: string): Promise<boolean> {
  return stat(file).then(
    () => true,
    () => false,
  );
}
