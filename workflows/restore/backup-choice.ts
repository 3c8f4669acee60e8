import { ApplicationFailure } from '@temporalio/workflow';
import type { BackupInfo, BackupManifest, BackupSelector, RestoreResult } from '../../shared/activity-contract';
import { BROKEN_BACKUP_ERRORS, ErrorType, type ErrorTypeName } from '../../shared/errors';
import type { BackupChoice, BrokenBackup } from '../../shared/workflow-types';
import { backupCheck, quick } from '../activity-proxies';
import { failureMessage, failureType } from '../failures';
import { generationTimeMs } from '../time';

/** Runs started before the one read verified every backup before restoring it (chooseVerifiedBackup). */
export const ONE_READ_PATCH = 'one-read';

/** A backup picked for a restore. `manifest` is set once it has been read end to end. */
export interface PlannedBackup {
  backup: BackupInfo;
  /** Read by verifyBackup, or by the restore's own pass (restoreVerifiedBackup); unset until then. */
  manifest?: BackupManifest;
  /** The first broken backup skipped, when the previous generation was used instead. */
  fallbackFrom?: string;
  broken: BrokenBackup[];
}

export interface VerifiedBackup extends PlannedBackup {
  manifest: BackupManifest;
}

/**
 * A nightly job dumps the services one after the other, so one generation's file names can differ by the
 * minutes a dump takes: a generation timestamp picks each service's backup closest to it within this window.
 */
const GENERATION_WINDOW_MINUTES = 30;

function closestWithinWindow(backups: BackupInfo[], wantedMs: number): BackupInfo | undefined {
  let best: BackupInfo | undefined;
  for (const backup of backups) {
    const distance = Math.abs(Date.parse(backup.takenAt) - wantedMs);
    if (distance > GENERATION_WINDOW_MINUTES * 60_000) continue;
    if (!best || distance < Math.abs(Date.parse(best.takenAt) - wantedMs)) best = backup;
  }
  return best;
}

/** How many older generations a broken latest/before backup may fall back through. */
const MAX_FALLBACKS = 2;

/**
 * Picks the backup and reads it end to end (verifyBackup) before anything is restored: for in-place mode, whose
 * apps are stopped first, for dry runs, which restore nothing, and for runs started before the one read. A broken
 * backup falls back as readWithFallback says. When no usable backup is left, the failure keeps the broken files
 * in its details. `picked`: the backup chooseBackup already picked for this choice.
 */
export async function chooseVerifiedBackup(
  service: string,
  choice: BackupChoice,
  picked?: BackupInfo,
): Promise<VerifiedBackup> {
  const first = picked ?? (await chooseBackup(service, choice));
  const read = await readWithFallback(service, choice, first, (backup) =>
    backupCheck.verifyBackup({ service, file: backup.file }),
  );
  return { backup: read.backup, manifest: read.value, fallbackFrom: read.fallbackFrom, broken: read.broken };
}

/**
 * One read of the backup: restores `first` straight into a side or scratch database, and the restore's own pass
 * checks the backup as verifyBackup would and returns its manifest. A stream that proves broken half-way fails
 * the restore with verifyBackup's error types after the restore activity dropped its target, and the choice
 * falls back as readWithFallback says; `restoreFrom` restores into the same target each time.
 */
export async function restoreVerifiedBackup(
  service: string,
  choice: BackupChoice,
  first: BackupInfo,
  restoreFrom: (backup: BackupInfo, skipped: BrokenBackup[]) => Promise<RestoreResult>,
): Promise<{ chosen: VerifiedBackup; restored: RestoreResult }> {
  const read = await readWithFallback(service, choice, first, restoreFrom);
  const { backup, value: restored, fallbackFrom, broken } = read;
  const manifest = restored.manifest ?? manifestFromRestore(backup, restored);
  return { chosen: { backup, manifest, fallbackFrom, broken }, restored };
}

/**
 * What verifyBackup would have returned, from a restore result without its manifest (a worker from before the
 * one read): the same tables and row counts; the SQL size and the roles are unknown (0 and none).
 */
function manifestFromRestore(backup: BackupInfo, restored: RestoreResult): BackupManifest {
  return {
    service: restored.service,
    file: restored.file,
    sizeBytes: backup.sizeBytes,
    uncompressedBytes: 0,
    tables: restored.tables,
    roles: [],
  };
}

/** Whether a broken backup of this choice may be replaced by the previous generation. */
export function mayFallBack(choice: BackupChoice): boolean {
  return choice.kind === 'latest' || choice.kind === 'before';
}

interface ReadBackup<T> {
  backup: BackupInfo;
  value: T;
  fallbackFrom?: string;
  broken: BrokenBackup[];
}

/**
 * Reads `first` with `read` (a verifyBackup or a restore). A backup that proves broken (BROKEN_BACKUP_ERRORS) and
 * was chosen by "latest" or "before" falls back to the previous generation, at most MAX_FALLBACKS times; a named
 * file or generation is what the SRE asked for, so it does not. `read` is told the broken backups skipped so far.
 */
async function readWithFallback<T>(
  service: string,
  choice: BackupChoice,
  first: BackupInfo,
  read: (backup: BackupInfo, skipped: BrokenBackup[]) => Promise<T>,
): Promise<ReadBackup<T>> {
  const broken: BrokenBackup[] = [];
  let backup = first;
  for (;;) {
    try {
      const value = await read(backup, [...broken]);
      return { backup, value, fallbackFrom: broken[0]?.file, broken };
    } catch (err) {
      const type = failureType(err);
      if (!type || !BROKEN_BACKUP_ERRORS.includes(type as ErrorTypeName)) throw err;
      broken.push({ file: backup.file, errorType: type, message: failureMessage(err) });
      if (!mayFallBack(choice) || broken.length > MAX_FALLBACKS) throw noUsableBackup(service, broken, type);
      backup = await previousGeneration(service, backup.file, broken, type);
    }
  }
}

/** The backup a choice names, from the catalog only: nothing is read yet. */
export async function chooseBackup(service: string, choice: BackupChoice): Promise<BackupInfo> {
  switch (choice.kind) {
    case 'latest':
    case 'file':
    case 'before':
      return quick.selectBackup({ service, selector: choice satisfies BackupSelector });
    case 'timestamp': {
      const wanted = generationTimeMs(choice.timestamp);
      const catalog = await quick.listBackups({ service });
      const match = closestWithinWindow(catalog.backups, wanted);
      if (!match) {
        throw ApplicationFailure.create({
          message: `${service} has no backup taken within ${GENERATION_WINDOW_MINUTES} minutes of ${choice.timestamp}`,
          type: ErrorType.BackupNotFound,
          nonRetryable: true,
        });
      }
      return match;
    }
  }
}

async function previousGeneration(
  service: string,
  file: string,
  broken: BrokenBackup[],
  brokenType: string,
): Promise<BackupInfo> {
  try {
    return await quick.selectBackup({ service, selector: { kind: 'previous', file } });
  } catch (err) {
    if (failureType(err) === ErrorType.BackupNotFound) throw noUsableBackup(service, broken, brokenType);
    throw err;
  }
}

function noUsableBackup(service: string, broken: BrokenBackup[], type: string): ApplicationFailure {
  const list = broken.map((b) => `${b.file} (${b.errorType}: ${b.message})`).join('; ');
  return ApplicationFailure.create({
    message: `no usable backup of ${service}: broken ${list}`,
    type,
    nonRetryable: true,
    details: [broken],
  });
}

/** The broken backups carried by a failure from chooseVerifiedBackup or restoreVerifiedBackup, if any. */
export function brokenBackupsOf(err: unknown): BrokenBackup[] {
  if (!(err instanceof ApplicationFailure)) return [];
  const details = err.details?.[0];
  return Array.isArray(details) ? (details as BrokenBackup[]) : [];
}
