import type {
  BackupManifest,
  DatabaseSnapshot,
  RestoreResult,
  ServiceDescription,
  TableCount,
  VerificationReport,
} from '../../shared/activity-contract';
import type { BackupChoice, RowCountDifference, ServiceDatabases } from '../../shared/workflow-types';
import { patched } from '@temporalio/workflow';
import { liveReads, quick, restore, verification } from '../activity-proxies';
import type { ProgressTracker } from '../progress';
import type { Compensations } from '../saga';
import { decideStandby, type StandbyWish, type UsableStandby } from '../standby/choose';
import { checkDiskRoomFreeingStandbys } from '../standby/disk-room';
import { WARM_STANDBY_PATCH } from '../standby/patch';
import { chooseBackup, chooseVerifiedBackup, restoreVerifiedBackup, type PlannedBackup } from './backup-choice';

/** Runs started before the disk check replay without it. */
export const DISK_ROOM_PATCH = 'disk-room-check';

/**
 * Room a side restore needs: about the larger of the dump's SQL and the live database (indexes are rebuilt,
 * the data is the same), plus a fifth for WAL and temporary files while indexes are built.
 */
export function sideRestoreBytes(uncompressedBytes: number, live: DatabaseSnapshot): number {
  return Math.ceil(Math.max(uncompressedBytes, live.sizeBytes ?? 0) * 1.2);
}

/**
 * The SQL a backup holds, guessed from its gzip size before it is read (with one read, the disk check comes
 * before the restore that reads it). Meant to err large: the bench dump's SQL is 2.1 times its gzip; a dump
 * that compresses better than 8 times is underestimated, where the live database's size (the larger of the two
 * counts) usually covers it.
 */
export const SQL_BYTES_PER_GZIP_BYTE = 8;

export function estimatedSqlBytes(gzipBytes: number): number {
  return gzipBytes * SQL_BYTES_PER_GZIP_BYTE;
}

export interface ServiceTarget {
  service: string;
  choice: BackupChoice;
}

/** Everything decided about one service before anything is changed. */
export interface ServicePlan {
  service: string;
  choice: BackupChoice;
  description: ServiceDescription;
  snapshot: DatabaseSnapshot;
  /** Read when planning (in-place mode, dry runs) or by the restore itself (one read); see manifestOf. */
  chosen: PlannedBackup;
  databases: ServiceDatabases;
  /** Empty until the backup is read. */
  expectedLoss: RowCountDifference[];
  /**
   * The warm standby this restore swaps in instead of restoring (its record gave `chosen.manifest`), or why none
   * is used. Both unset in runs from before the warm standby.
   */
  standby?: UsableStandby;
  standbyUnusedReason?: string;
  /** Standbys dropped to make room for the side restore. */
  standbysDropped?: string[];
}

/** How a restore plans: whether it reads the backup first, and what it wants of a standby. */
export interface PlanOptions {
  readBackup: boolean;
  dryRun: boolean;
  standby: StandbyWish;
}

/** The manifest of a plan's backup, which must have been read by now (a workflow bug otherwise). */
export function manifestOf(plan: ServicePlan): BackupManifest {
  const { manifest } = plan.chosen;
  if (!manifest) throw new TypeError(`${plan.service}: ${plan.chosen.backup.file} was not read yet`);
  return manifest;
}

export function databaseNames(live: string, stamp: string): ServiceDatabases {
  return {
    live,
    side: `${live}_restore_${stamp}`,
    preRestore: `${live}_pre_restore_${stamp}`,
    failedRestore: `${live}_failed_restore_${stamp}`,
  };
}

/**
 * Reads only: the live database's current state (the runbook's "Document current state") and the backup. With
 * `readBackup` false (one read) the backup is picked but not read: the restore reads it (restoreIntoDatabase).
 * A usable warm standby of the picked backup (decideStandby) stands in for the read: its record is the manifest.
 */
export async function planService(
  target: ServiceTarget,
  stamp: string,
  progress: ProgressTracker,
  options: PlanOptions,
): Promise<ServicePlan> {
  const { service, choice } = target;
  progress.setServiceStep(service, 'inspecting');
  const description = await quick.describeService({ service });
  const snapshot = await liveReads.snapshotDatabase({ service });
  progress.setServiceStep(service, options.readBackup ? 'verifying-backup' : 'choosing-backup');
  const choosing = { service, choice, description, snapshot };
  const picked = patched(WARM_STANDBY_PATCH)
    ? await chooseWithStandby(choosing, options)
    : await chooseAsBefore(choosing, options);
  progress.setBytesTotal(service, picked.chosen.backup.sizeBytes);
  const plan: ServicePlan = {
    ...choosing,
    ...picked,
    databases: databaseNames(description.database, stamp),
    expectedLoss: [],
  };
  if (plan.chosen.manifest) recordExpectedLoss(plan, progress);
  progress.setServiceStep(service, 'planned');
  return plan;
}

type Choosing = Pick<ServicePlan, 'service' | 'choice' | 'description' | 'snapshot'>;
type Picked = Pick<ServicePlan, 'chosen' | 'standby' | 'standbyUnusedReason' | 'standbysDropped'>;

/** Runs from before the warm standby: the backup, read first or not, and the disk check. */
async function chooseAsBefore({ service, choice, snapshot }: Choosing, options: PlanOptions): Promise<Picked> {
  const chosen: PlannedBackup = options.readBackup
    ? await chooseVerifiedBackup(service, choice)
    : { backup: await chooseBackup(service, choice), broken: [] };
  if (patched(DISK_ROOM_PATCH)) {
    const sqlBytes = chosen.manifest?.uncompressedBytes ?? estimatedSqlBytes(chosen.backup.sizeBytes);
    await quick.checkDiskRoom({ service, neededBytes: sideRestoreBytes(sqlBytes, snapshot) });
  }
  return { chosen };
}

/**
 * Picks the backup, then either the standby of exactly that backup (nothing to read, no room needed: a rename),
 * or the backup as before (read first or not) with the disk check, which may drop standbys to make room.
 */
async function chooseWithStandby(choosing: Choosing, options: PlanOptions): Promise<Picked> {
  const { service, choice, description, snapshot } = choosing;
  const backup = await chooseBackup(service, choice);
  const decision = await decideStandby(description, backup, options.standby);
  if (decision.standby) {
    return { chosen: { backup, manifest: decision.standby.record.manifest, broken: [] }, standby: decision.standby };
  }
  const chosen: PlannedBackup = options.readBackup
    ? await chooseVerifiedBackup(service, choice, backup)
    : { backup, broken: [] };
  const sqlBytes = chosen.manifest?.uncompressedBytes ?? estimatedSqlBytes(chosen.backup.sizeBytes);
  // A dry run touches nothing, so it drops nothing: it fails the check as before.
  const standbysDropped = await checkDiskRoomFreeingStandbys(
    service,
    sideRestoreBytes(sqlBytes, snapshot),
    () => !options.dryRun,
  );
  return { chosen, standbyUnusedReason: decision.reason, standbysDropped };
}

/** What the swap would change, once the backup's row counts are known: for the plan and the swapPreview query. */
function recordExpectedLoss(plan: ServicePlan, progress: ProgressTracker): void {
  plan.expectedLoss = compareRowCounts(plan.snapshot.tables, manifestOf(plan).tables);
  progress.setPreview(plan.service, plan.expectedLoss);
}

/**
 * Live row counts against the backup's: what a swap would change, table by table. A live count that is the
 * catalog's estimate (a large table) makes its difference an estimate too, marked `estimated`.
 */
export function compareRowCounts(live: TableCount[], backup: TableCount[]): RowCountDifference[] {
  const tables = [...new Set([...live.map((t) => t.table), ...backup.map((t) => t.table)])].sort();
  return tables.map((table) => {
    const liveTable = live.find((t) => t.table === table);
    const liveRows = liveTable?.rows ?? null;
    const backupRows = backup.find((t) => t.table === table)?.rows ?? null;
    const difference = { table, liveRows, backupRows, difference: (backupRows ?? 0) - (liveRows ?? 0) };
    return liveTable?.estimated ? { ...difference, estimated: true as const } : difference;
  });
}

/**
 * Restores the backup into a fresh database beside the live one. The undo is pushed first: a restore that
 * fails or is cancelled half-way must not leave its database behind (dropDatabase is idempotent). A backup not
 * read yet is read by this restore (one read): one that proves broken falls back to the previous generation
 * when its choice allows (restoreVerifiedBackup), into the same database, and the plan takes the backup used.
 */
export async function restoreIntoDatabase(
  plan: ServicePlan,
  targetDatabase: string,
  saga: Compensations,
  progress: ProgressTracker,
  jobs?: number,
): Promise<RestoreResult> {
  const { service } = plan;
  saga.push(`drop ${targetDatabase}`, async () => {
    await quick.dropDatabase({ service, database: targetDatabase });
  });
  progress.setServiceStep(service, 'restoring');
  if (plan.chosen.manifest) {
    const result = await restore.restoreBackup({ service, file: plan.chosen.backup.file, targetDatabase, jobs });
    progress.markBytesDone(service, result.bytesRead);
    return result;
  }
  const { chosen, restored } = await restoreVerifiedBackup(service, plan.choice, plan.chosen.backup, (backup) => {
    progress.restartBytes(service, backup.sizeBytes);
    return restore.restoreBackup({ service, file: backup.file, targetDatabase, jobs });
  });
  plan.chosen = chosen;
  recordExpectedLoss(plan, progress);
  progress.markBytesDone(service, restored.bytesRead);
  return restored;
}

/** Tables and row counts against the dump's manifest, the service's checks, amcheck. */
export async function verifyRestoredDatabase(
  plan: ServicePlan,
  database: string,
  skipServiceChecks: boolean,
  progress: ProgressTracker,
): Promise<VerificationReport> {
  progress.setServiceStep(plan.service, 'verifying-restore');
  return verification.verifyRestoredDatabase({
    service: plan.service,
    database,
    expected: manifestOf(plan).tables,
    skipServiceChecks,
  });
}
