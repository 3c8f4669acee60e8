import { ApplicationFailure } from '@temporalio/workflow';
import type { BackupInfo, BackupManifest, BackupSelector } from '../../shared/activity-contract';
import { BROKEN_BACKUP_ERRORS, ErrorType, type ErrorTypeName } from '../../shared/errors';
import type { BackupChoice, BrokenBackup } from '../../shared/workflow-types';
import { backupCheck, quick } from '../activity-proxies';
import { failureMessage, failureType } from '../failures';
import { generationTimeMs } from '../time';

export interface VerifiedBackup {
  backup: BackupInfo;
  manifest: BackupManifest;
  /** The first broken backup skipped, when the previous generation was used instead. */
  fallbackFrom?: string;
  broken: BrokenBackup[];
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
 * Picks the backup and reads it end to end. A broken backup that was chosen by "latest" or "before" falls
 * back to the previous generation; a named file or generation is what the SRE asked for, so it does not.
 * When no usable backup is left, the failure keeps the broken files in its details.
 */
export async function chooseVerifiedBackup(service: string, choice: BackupChoice): Promise<VerifiedBackup> {
  const broken: BrokenBackup[] = [];
  let backup = await resolveChoice(service, choice);
  const mayFallBack = choice.kind === 'latest' || choice.kind === 'before';
  for (;;) {
    try {
      const manifest = await backupCheck.verifyBackup({ service, file: backup.file });
      return { backup, manifest, fallbackFrom: broken[0]?.file, broken };
    } catch (err) {
      const type = failureType(err);
      if (!type || !BROKEN_BACKUP_ERRORS.includes(type as ErrorTypeName)) throw err;
      broken.push({ file: backup.file, errorType: type, message: failureMessage(err) });
      if (!mayFallBack || broken.length > MAX_FALLBACKS) throw noUsableBackup(service, broken, type);
      backup = await previousGeneration(service, backup.file, broken, type);
    }
  }
}

async function resolveChoice(service: string, choice: BackupChoice): Promise<BackupInfo> {
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

/** The broken backups carried by a failure from chooseVerifiedBackup, if any. */
export function brokenBackupsOf(err: unknown): BrokenBackup[] {
  if (!(err instanceof ApplicationFailure)) return [];
  const details = err.details?.[0];
  return Array.isArray(details) ? (details as BrokenBackup[]) : [];
}
