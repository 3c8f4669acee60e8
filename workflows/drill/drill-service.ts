import { CancellationScope, isCancellation, patched } from '@temporalio/workflow';
import type { RestoreResult, ServiceDescription } from '../../shared/activity-contract';
import type { BackupChoice, DrillServiceReport } from '../../shared/workflow-types';
import { quick, restore, verification } from '../activity-proxies';
import { failureMessage } from '../failures';
import type { ProgressTracker } from '../progress';
import {
  brokenBackupsOf,
  chooseBackup,
  chooseVerifiedBackup,
  ONE_READ_PATCH,
  restoreVerifiedBackup,
  type PlannedBackup,
  type VerifiedBackup,
} from '../restore/backup-choice';
import { DISK_ROOM_PATCH, estimatedSqlBytes } from '../restore/prepare';
import { checkDiskRoomFreeingStandbys } from '../standby/disk-room';
import { keepDrillStandby } from '../standby/keep';
import { WARM_STANDBY_PATCH } from '../standby/patch';
import { forecastRestore, RTO_FORECAST_PATCH } from './rto-forecast';

export function emptyDrillReport(service: string): DrillServiceReport {
  return {
    service,
    passed: false,
    brokenBackups: [],
    scratchDatabase: '',
    rtoMinutes: 30,
    rpoHours: 24,
    cleanedUp: false,
  };
}

export interface DrillContext {
  stamp: string;
  choice: BackupChoice;
  progress: ProgressTracker;
  /** Connections the scratch restore loads with (unset: the worker decides). */
  jobs?: number;
  /** Why an interrupted drill stopped: the workflow was cancelled, or the drill's own deadline passed. */
  interruption: () => string;
}

/**
 * Restores one service's backup into a scratch database, verifies it, measures it against RTO and RPO and
 * drops the scratch database whatever happened. Never touches the live database or the apps. Records its
 * outcome in `report` instead of throwing, so one service's failure does not hide the others'.
 */
export async function drillService(service: string, report: DrillServiceReport, context: DrillContext): Promise<void> {
  const { progress } = context;
  try {
    progress.setServiceStep(service, 'inspecting');
    const description = await quick.describeService({ service });
    report.rtoMinutes = description.rtoMinutes;
    report.rpoHours = description.rpoHours;
    report.scratchDatabase = `${description.database}_drill_${context.stamp}`;

    const { chosen, restored } = patched(ONE_READ_PATCH)
      ? await restoreInOneRead(service, description, report, context)
      : await verifyThenRestore(service, description, report, context);
    report.restoreSeconds = restored.seconds;
    report.rtoMet = restored.seconds <= description.rtoMinutes * 60;
    report.rows = restored.tables;

    progress.setServiceStep(service, 'verifying-restore');
    report.verification = await verification.verifyRestoredDatabase({
      service,
      database: report.scratchDatabase,
      expected: chosen.manifest.tables,
    });
    if (patched(RTO_FORECAST_PATCH)) {
      // Before the scratch database is dropped: its size is today's restore rate's denominator.
      const sizes = await quick.databaseSizes({ service, databases: [description.database, report.scratchDatabase] });
      report.forecast = forecastRestore({
        dumpBytes: chosen.manifest.uncompressedBytes,
        restoredBytes: sizes[report.scratchDatabase] ?? 0,
        liveBytes: sizes[description.database],
        restoreSeconds: restored.seconds,
        rtoMinutes: description.rtoMinutes,
      });
    }
    const problems = drillProblems(report);
    report.passed = problems.length === 0;
    report.reason = problems.length ? problems.join('; ') : undefined;
    if (patched(WARM_STANDBY_PATCH)) {
      progress.setServiceStep(service, 'keeping-standby');
      const droppedForRoom = report.standby?.dropped ?? [];
      const standby = await keepDrillStandby(description, report, chosen.manifest, context.stamp);
      report.standby = { ...standby, dropped: [...droppedForRoom, ...standby.dropped] };
    }
  } catch (err) {
    report.passed = false;
    report.reason = isCancellation(err) ? context.interruption() : failureMessage(err);
  } finally {
    if (report.standby?.database) {
      // Renamed into the standby (and maybe dropped below the disk floor): no scratch database is left.
      report.cleanedUp = true;
    } else {
      await dropScratchDatabase(service, report);
      if (patched(WARM_STANDBY_PATCH)) report.standby = notKept(report);
    }
    progress.setServiceStep(service, report.passed ? 'passed' : 'failed');
  }
}

/** A drill that kept no standby: why, and what it dropped to make room for its scratch restore. */
function notKept(report: DrillServiceReport): DrillServiceReport['standby'] {
  const dropped = report.standby?.dropped ?? [];
  const stays = dropped.length ? '' : ', the previous standby (if any) stays';
  const reason = report.passed
    ? (report.standby?.reason ?? 'not kept')
    : `the drill did not pass: nothing kept${stays}`;
  return { kept: false, dropped, reason };
}

interface DrillRestore {
  chosen: VerifiedBackup;
  restored: RestoreResult;
}

/**
 * One read of the backup: restored into the scratch database straight away, its manifest taken from the restore's
 * own pass. A backup that proves broken half-way falls back as chooseVerifiedBackup does (restoreVerifiedBackup).
 */
async function restoreInOneRead(
  service: string,
  description: ServiceDescription,
  report: DrillServiceReport,
  context: DrillContext,
): Promise<DrillRestore> {
  const { progress } = context;
  progress.setServiceStep(service, 'choosing-backup');
  const first = await chooseBackup(service, context.choice);
  // The scratch restore lands on the production server's volume: a drill must never fill it. The backup's SQL
  // size is known only once it is read, so its gzip size stands for it here. Short of room, the service's old
  // standby goes first: this drill would replace it anyway.
  const neededBytes = Math.ceil(estimatedSqlBytes(first.sizeBytes) * 1.2);
  const dropped = await checkDiskRoomFreeingStandbys(service, neededBytes, () => patched(WARM_STANDBY_PATCH));
  if (dropped.length > 0) {
    report.standby = { kept: false, dropped, reason: `dropped ${dropped.join(', ')} to make room for the drill` };
  }
  progress.setServiceStep(service, 'restoring');
  const read = await restoreVerifiedBackup(service, context.choice, first, (backup, skipped) => {
    recordBackup(report, description, { backup, broken: skipped, fallbackFrom: skipped[0]?.file });
    progress.restartBytes(service, backup.sizeBytes);
    return restore.restoreBackup({
      service,
      file: backup.file,
      targetDatabase: report.scratchDatabase,
      jobs: context.jobs,
    });
  }).catch((err: unknown) => {
    const broken = brokenBackupsOf(err);
    // No usable backup: none was drilled, as when verifyBackup found them all broken.
    if (broken.length > 0) Object.assign(report, emptyBackupFields(), { brokenBackups: broken });
    throw err;
  });
  recordBackup(report, description, read.chosen);
  progress.markBytesDone(service, read.restored.bytesRead);
  return read;
}

/** Runs from before the one read: verifyBackup reads the whole backup, then the restore reads it again. */
async function verifyThenRestore(
  service: string,
  description: ServiceDescription,
  report: DrillServiceReport,
  context: DrillContext,
): Promise<DrillRestore> {
  const { progress } = context;
  progress.setServiceStep(service, 'verifying-backup');
  const chosen = await chooseVerifiedBackup(service, context.choice).catch((err: unknown) => {
    report.brokenBackups = brokenBackupsOf(err);
    throw err;
  });
  recordBackup(report, description, chosen);
  progress.setBytesTotal(service, chosen.backup.sizeBytes);
  // The scratch restore lands on the production server's volume: a drill must never fill it.
  if (patched(DISK_ROOM_PATCH)) {
    await quick.checkDiskRoom({ service, neededBytes: Math.ceil(chosen.manifest.uncompressedBytes * 1.2) });
  }

  progress.setServiceStep(service, 'restoring');
  const restored = await restore.restoreBackup({
    service,
    file: chosen.backup.file,
    targetDatabase: report.scratchDatabase,
    jobs: context.jobs,
  });
  progress.markBytesDone(service, restored.bytesRead);
  return { chosen, restored };
}

/** The backup drilled (or being restored), its age against the RPO and the broken ones skipped for it. */
function recordBackup(report: DrillServiceReport, description: ServiceDescription, chosen: PlannedBackup): void {
  const { backup } = chosen;
  Object.assign(report, {
    backupFile: backup.file,
    backupTakenAt: backup.takenAt,
    backupAgeHours: backup.ageHours,
    fallbackFrom: chosen.fallbackFrom,
    brokenBackups: chosen.broken,
    rpoMet: backup.ageHours <= description.rpoHours,
  });
}

function emptyBackupFields(): Partial<DrillServiceReport> {
  return {
    backupFile: undefined,
    backupTakenAt: undefined,
    backupAgeHours: undefined,
    fallbackFrom: undefined,
    rpoMet: undefined,
  };
}

function drillProblems(report: DrillServiceReport): string[] {
  const problems: string[] = [];
  for (const broken of report.brokenBackups) {
    problems.push(
      `backup ${broken.file} is broken (${broken.errorType}: ${broken.message}); used ${report.backupFile}`,
    );
  }
  if (report.rpoMet === false) {
    problems.push(`backup is ${report.backupAgeHours?.toFixed(1)} h old, over the RPO of ${report.rpoHours} h`);
  }
  if (report.rtoMet === false) {
    problems.push(`restore took ${report.restoreSeconds} s, over the RTO of ${report.rtoMinutes} min`);
  }
  for (const check of report.verification?.checks.filter((c) => !c.passed) ?? []) {
    problems.push(`check "${check.name}" failed: ${check.detail}`);
  }
  if (report.verification && !report.verification.passed && problems.length === 0) problems.push('verification failed');
  return problems;
}

/** Runs even when the drill failed, was cancelled or timed out: a drill leaves nothing behind. */
async function dropScratchDatabase(service: string, report: DrillServiceReport): Promise<void> {
  if (!report.scratchDatabase) {
    report.cleanedUp = true;
    return;
  }
  await CancellationScope.nonCancellable(async () => {
    try {
      await quick.dropDatabase({ service, database: report.scratchDatabase });
      report.cleanedUp = true;
    } catch (err) {
      report.passed = false;
      report.reason = `${report.reason ? `${report.reason}; ` : ''}could not drop ${report.scratchDatabase}: ${failureMessage(err)}`;
    }
  });
}
