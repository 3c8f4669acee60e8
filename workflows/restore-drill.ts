import {
  CancellationScope,
  CancelledFailure,
  executeChild,
  isCancellation,
  upsertMemo,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import {
  restoreDrillInputSchema,
  type DrillServiceReport,
  type RestoreDrillInput,
  type RestoreDrillResult,
} from '../shared/workflow-types';
import { quick } from './activity-proxies';
import { OparetaBackup, OparetaKind, OparetaOutcome, OparetaService } from './definitions';
import { emptyDrillReport } from './drill/drill-service';
import { failureMessage } from './failures';
import { ProgressTracker } from './progress';
import { restoreDrillService } from './restore-drill-service';
import { runStamp, secondsBetween } from './time';
import { parseInput } from './validate';

/**
 * The nightly proof that the backups restore: each service's backup goes into a scratch database that is
 * verified, timed against the RTO, aged against the RPO, and dropped, in a child workflow per service
 * (restoreDrillService). Live databases and apps are never touched. `{}` drills every service's newest backup.
 */
export async function restoreDrill(input: RestoreDrillInput): Promise<RestoreDrillResult> {
  const request = parseInput('restoreDrill', restoreDrillInputSchema, input);
  const startedMs = Date.now();
  const stamp = runStamp(startedMs);
  const progress = new ProgressTracker();
  const services = [...new Set(request.services ?? (await quick.listServices()))];
  upsertSearchAttributes([
    { key: OparetaKind, value: 'drill' },
    { key: OparetaService, value: services.join(',') },
    { key: OparetaOutcome, value: 'running' },
  ]);
  progress.setPlan(
    services.map(
      (s) =>
        `${s}: restore ${request.backup} into a scratch database, verify, drop it (or keep it as the warm standby)`,
    ),
  );
  progress.setStep('drilling', services);

  // A cancel reaches the children, which clean up before they end; their reports are kept either way.
  const reports = await Promise.all(
    services.map(async (service): Promise<DrillServiceReport> => {
      try {
        return await executeChild(restoreDrillService, {
          workflowId: `${workflowInfo().workflowId}-${service}`,
          args: [
            { service, backup: request.backup, stamp, timeoutMinutes: request.timeoutMinutes, jobs: request.jobs },
          ],
        });
      } catch (err) {
        const report = emptyDrillReport(service);
        report.reason = isCancellation(err) ? 'cancelled' : failureMessage(err);
        return report;
      } finally {
        progress.setServiceStep(service, 'done');
      }
    }),
  );

  const cancelled = CancellationScope.current().consideredCancelled;
  const passed = !cancelled && reports.every((r) => r.passed);
  const outcome = cancelled ? 'cancelled' : passed ? 'passed' : 'failed';
  progress.setStep(outcome);
  const files = reports.flatMap((r) => (r.backupFile ? [r.backupFile] : []));
  upsertSearchAttributes([
    { key: OparetaOutcome, value: outcome },
    { key: OparetaBackup, value: files.join(',') },
  ]);
  const failures = reports.filter((r) => !r.passed).map((r) => `${r.service}: ${r.reason ?? 'failed'}`);
  upsertMemo({ outcome, detail: failures.join('; ') || 'every backup restored and verified' });
  if (cancelled) throw new CancelledFailure('restore drill cancelled; scratch databases dropped');

  return {
    workflowId: workflowInfo().workflowId,
    startedAt: new Date(startedMs).toISOString(),
    passed,
    outcome,
    totalSeconds: secondsBetween(startedMs, Date.now()),
    services: reports,
  };
}
