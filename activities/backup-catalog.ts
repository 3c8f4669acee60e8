import { readdir, stat } from 'node:fs/promises';
import type { BackupCatalog, BackupInfo, BackupSelector } from '../shared/activity-contract';
import { ErrorType } from '../shared/errors';
import type { ServiceConfig } from '../shared/node/topology';
import { assertPlainFileName, resolveBackupPath } from './backup-paths';
import { failure } from './errors';

interface NamePattern {
  regex: RegExp;
  /** Literal text before the first date placeholder: a name starting with it looks like this service's backup. */
  prefix: string;
  /** Literal text after the last placeholder. */
  suffix: string;
}

/** Compiles e.g. `{service}_{YYYYMMDD}_{HHMMSS}.sql.gz` for one service. */
export function compileBackupPattern(pattern: string, service: string): NamePattern {
  const withService = pattern.split('{service}').join(service);
  const escaped = withService.replace(/[.*+?^$()|[\]\\]/g, '\\$&');
  const source = escaped.replace('{YYYYMMDD}', '(?<date>\\d{8})').replace('{HHMMSS}', '(?<time>\\d{6})');
  const firstPlaceholder = Math.min(
    ...['{YYYYMMDD}', '{HHMMSS}'].map((p) => withService.indexOf(p)).filter((i) => i >= 0),
  );
  const lastEnd = Math.max(withService.indexOf('{YYYYMMDD}') + 10, withService.indexOf('{HHMMSS}') + 8);
  return {
    regex: new RegExp(`^${source}$`),
    prefix: withService.slice(0, firstPlaceholder),
    suffix: withService.slice(lastEnd),
  };
}

/** The UTC time a conforming name encodes, or undefined when it is not a real date (20231341). */
export function parseBackupTime(name: string, pattern: NamePattern): Date | undefined {
  const match = pattern.regex.exec(name);
  if (!match?.groups) return undefined;
  const { date, time } = match.groups;
  const [y, mo, d] = [date.slice(0, 4), date.slice(4, 6), date.slice(6, 8)].map(Number);
  const [h, mi, s] = [time.slice(0, 2), time.slice(2, 4), time.slice(4, 6)].map(Number);
  const at = new Date(Date.UTC(y, mo - 1, d, h, mi, s));
  const roundTrips =
    at.getUTCFullYear() === y &&
    at.getUTCMonth() === mo - 1 &&
    at.getUTCDate() === d &&
    at.getUTCHours() === h &&
    at.getUTCMinutes() === mi &&
    at.getUTCSeconds() === s;
  return roundTrips ? at : undefined;
}

/** Lists a service's backups newest first; other services' and unrelated files are ignored. */
export async function listBackupCatalog(
  service: string,
  config: ServiceConfig,
  now = new Date(),
): Promise<BackupCatalog> {
  const pattern = compileBackupPattern(config.backupPattern, service);
  let entries: string[];
  try {
    entries = await readdir(config.backupDirectory);
  } catch (err) {
    throw failure(
      ErrorType.ConfigError,
      `cannot read the backup directory ${config.backupDirectory} of ${service}`,
      err,
    );
  }
  const backups: BackupInfo[] = [];
  const malformed: string[] = [];
  for (const name of entries.sort()) {
    const takenAt = parseBackupTime(name, pattern);
    if (!takenAt) {
      if (name.startsWith(pattern.prefix) && name.endsWith(pattern.suffix)) malformed.push(name);
      continue;
    }
    const info = await fileInfo(config.backupDirectory, name);
    if (!info) continue;
    backups.push(toBackupInfo(service, name, info.size, takenAt, now));
  }
  backups.sort((a, b) => b.takenAt.localeCompare(a.takenAt) || b.file.localeCompare(a.file));
  return { service, directory: config.backupDirectory, backups, malformed };
}

/** Size of a regular file confined to the directory; undefined for directories, escaping symlinks and races. */
async function fileInfo(directory: string, name: string): Promise<{ size: number } | undefined> {
  try {
    const resolved = await resolveBackupPath(directory, name);
    return { size: (await stat(resolved)).size };
  } catch {
    return undefined;
  }
}

function toBackupInfo(service: string, file: string, sizeBytes: number, takenAt: Date, now: Date): BackupInfo {
  const ageHours = Math.round(((now.getTime() - takenAt.getTime()) / 3_600_000) * 100) / 100;
  return { service, file, sizeBytes, takenAt: takenAt.toISOString(), ageHours };
}

/**
 * A named backup belongs to its service: its name must follow the service's own pattern and encode a real
 * time, which is the backup's time. Anything else (another service's file, a hand-made name, 20231341) is
 * refused as InvalidInput, non-retryable.
 */
function ownBackupTime(service: string, config: ServiceConfig, pattern: NamePattern, file: string): Date {
  assertPlainFileName(config.backupDirectory, file);
  const takenAt = parseBackupTime(file, pattern);
  if (takenAt) return takenAt;
  const expected = config.backupPattern.split('{service}').join(service);
  const why = pattern.regex.test(file)
    ? 'the date and time in its name are not a real UTC time'
    : `its name is not one of ${service}'s backups`;
  throw failure(
    ErrorType.InvalidInput,
    `refusing backup ${file} for service ${service}: ${why}; expected ${expected} (pattern ${config.backupPattern})`,
  );
}

/** Picks one backup; every failure names the service and directory. */
export async function selectFromCatalog(
  service: string,
  config: ServiceConfig,
  selector: BackupSelector,
  now = new Date(),
): Promise<BackupInfo> {
  const pattern = compileBackupPattern(config.backupPattern, service);
  const catalog = await listBackupCatalog(service, config, now);
  const where = `${config.backupDirectory} (pattern ${config.backupPattern})`;
  switch (selector.kind) {
    case 'latest': {
      const latest = catalog.backups[0];
      if (!latest) throw failure(ErrorType.BackupNotFound, `no backups of ${service} in ${where}`);
      return latest;
    }
    case 'file': {
      const takenAt = ownBackupTime(service, config, pattern, selector.file);
      const resolved = await resolveBackupPath(config.backupDirectory, selector.file);
      const listed = catalog.backups.find((b) => b.file === selector.file);
      if (listed) return listed;
      // Listed unless it changed since the listing; the age still comes from the name, never the mtime.
      return toBackupInfo(service, selector.file, (await stat(resolved)).size, takenAt, now);
    }
    case 'before': {
      const limit = Date.parse(selector.before);
      if (Number.isNaN(limit)) {
        throw failure(
          ErrorType.InvalidInput,
          `"before" must be an ISO 8601 time, got ${JSON.stringify(selector.before)}`,
        );
      }
      const found = catalog.backups.find((b) => Date.parse(b.takenAt) <= limit);
      if (!found) {
        throw failure(
          ErrorType.BackupNotFound,
          `no backup of ${service} taken at or before ${selector.before} in ${where}`,
        );
      }
      return found;
    }
    case 'previous': {
      ownBackupTime(service, config, pattern, selector.file);
      await resolveBackupPath(config.backupDirectory, selector.file);
      const index = catalog.backups.findIndex((b) => b.file === selector.file);
      if (index === -1) {
        throw failure(ErrorType.BackupNotFound, `${selector.file} is not a backup of ${service} in ${where}`);
      }
      const previous = catalog.backups[index + 1];
      if (!previous)
        throw failure(ErrorType.BackupNotFound, `no backup of ${service} older than ${selector.file} in ${where}`);
      return previous;
    }
    default:
      throw failure(ErrorType.InvalidInput, `unknown backup selector ${JSON.stringify(selector)}`);
  }
}
