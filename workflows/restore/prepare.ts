import type {
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
import { chooseVerifiedBackup, type VerifiedBackup } from './backup-choice';

/** Runs started before the disk check replay without it. */
export const DISK_ROOM_PATCH = 'disk-room-check';

/**
 * Room a side restore needs: about the larger of the dump's SQL and the live database (indexes are rebuilt,
 * the data is the same), plus a fifth for WAL and temporary files while indexes are built.
 */
export function sideRestoreBytes(uncompressedBytes: number, live: DatabaseSnapshot): number {
  return Math.ceil(Math.max(uncompressedBytes, live.sizeBytes ?? 0) * 1.2);
}

export interface ServiceTarget {
  service: string;
  choice: BackupChoice;
}

/** Everything decided about one service before anything is changed. */
export interface ServicePlan {
  service: string;
  description: ServiceDescription;
  snapshot: DatabaseSnapshot;
  chosen: VerifiedBackup;
  databases: ServiceDatabases;
  expectedLoss: RowCountDifference[];
}

export function databaseNames(live: string, stamp: string): ServiceDatabases {
  return {
    live,
    side: `${live}_restore_${stamp}`,
    preRestore: `${live}_pre_restore_${stamp}`,
    failedRestore: `${live}_failed_restore_${stamp}`,
  };
}

/** Reads only: the live database's current state (the runbook's "Document current state") and the backup. */
export async function planService(
  target: ServiceTarget,
  stamp: string,
  progress: ProgressTracker,
): Promise<ServicePlan> {
  const { service } = target;
  progress.setServiceStep(service, 'inspecting');
  const description = await quick.describeService({ service });
  const snapshot = await liveReads.snapshotDatabase({ service });
  progress.setServiceStep(service, 'verifying-backup');
  const chosen = await chooseVerifiedBackup(service, target.choice);
  if (patched(DISK_ROOM_PATCH)) {
    await quick.checkDiskRoom({ service, neededBytes: sideRestoreBytes(chosen.manifest.uncompressedBytes, snapshot) });
  }
  progress.setBytesTotal(service, chosen.backup.sizeBytes);
  const expectedLoss = compareRowCounts(snapshot.tables, chosen.manifest.tables);
  progress.setPreview(service, expectedLoss);
  progress.setServiceStep(service, 'planned');
  return {
    service,
    description,
    snapshot,
    chosen,
    databases: databaseNames(description.database, stamp),
    expectedLoss,
  };
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
 * fails or is cancelled half-way must not leave its database behind (dropDatabase is idempotent).
 */
export async function restoreIntoDatabase(
  plan: ServicePlan,
  targetDatabase: string,
  saga: Compensations,
  progress: ProgressTracker,
): Promise<RestoreResult> {
  const { service } = plan;
  saga.push(`drop ${targetDatabase}`, async () => {
    await quick.dropDatabase({ service, database: targetDatabase });
  });
  progress.setServiceStep(service, 'restoring');
  const result = await restore.restoreBackup({ service, file: plan.chosen.backup.file, targetDatabase });
  progress.markBytesDone(service, result.bytesRead);
  return result;
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
    expected: plan.chosen.manifest.tables,
    skipServiceChecks,
  });
}
