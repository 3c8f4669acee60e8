import { isCancellation, workflowInfo } from '@temporalio/workflow';
import type { BackupManifest, ServiceDescription } from '../../shared/activity-contract';
import type { DrillServiceReport, DrillStandbyReport } from '../../shared/workflow-types';
import { quick } from '../activity-proxies';
import { failureMessage } from '../failures';
import { floorBytes, megabytes, standbyName } from './patch';

/**
 * After the drill's verdict: a passed drill of a service with the standby on keeps its verified scratch database
 * as the service's one standby, recorded and locked in the database server (keepStandby), then drops the previous
 * standby (only now: never a moment with none when this one fails to be kept), then drops this one again when the
 * volume is left below the configured floor. A failed drill keeps nothing and leaves the previous standby alone:
 * it is still a verified copy of its own backup. Never fails the drill: what went wrong is the report's reason.
 */
export async function keepDrillStandby(
  description: ServiceDescription,
  report: DrillServiceReport,
  manifest: BackupManifest | undefined,
  stamp: string,
): Promise<DrillStandbyReport> {
  const { service } = description;
  const config = description.standby;
  if (!config?.enabled) {
    return { kept: false, dropped: [], reason: `the warm standby is off for ${service} (standby.enabled)` };
  }
  if (!report.passed || !manifest || !report.backupFile || !report.backupTakenAt) {
    return { kept: false, dropped: [], reason: 'the drill did not pass: nothing kept, the previous standby stays' };
  }
  const name = standbyName(description.database, stamp);
  const standby: DrillStandbyReport = { kept: false, backupFile: report.backupFile, dropped: [] };
  try {
    const kept = await quick.keepStandby({
      service,
      from: report.scratchDatabase,
      standby: name,
      record: {
        service,
        database: name,
        backupFile: report.backupFile,
        backupTakenAt: report.backupTakenAt,
        manifest,
        verifiedAt: new Date().toISOString(),
        checks: report.verification?.checks ?? [],
        liveSchemaFingerprint: await quick.schemaFingerprint({ service }),
        drillWorkflowId: workflowInfo().workflowId,
      },
    });
    Object.assign(standby, { kept: true, database: name, sizeBytes: kept.sizeBytes });
    for (const previous of await quick.listStandbys({ service })) {
      if (previous.database === name) continue;
      await quick.dropStandby({ service, database: previous.database });
      standby.dropped.push(previous.database);
    }
    standby.freeDiskBytes = await quick.freeDiskBytes({ service });
    if (standby.freeDiskBytes < floorBytes(config.minFreeDiskMb)) {
      await quick.dropStandby({ service, database: name });
      standby.dropped.push(name);
      standby.kept = false;
      standby.reason =
        `not enough disk room: with the standby (${megabytes(kept.sizeBytes)}) the volume had ` +
        `${megabytes(standby.freeDiskBytes)} free, below the floor of ${config.minFreeDiskMb} MB: dropped`;
    }
  } catch (err) {
    if (isCancellation(err)) throw err;
    standby.reason = `could not keep the standby: ${failureMessage(err)}`;
  }
  return standby;
}
