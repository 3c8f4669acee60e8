import {
  CancellationScope,
  CancelledFailure,
  isCancellation,
  upsertMemo,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import {
  restoreDrillInputSchema,
  type BackupChoice,
  type RestoreDrillInput,
  type RestoreDrillRequest,
  type RestoreDrillResult,
} from '../shared/workflow-types';
import { notifications, quick } from './activity-proxies';
import { OparetaBackup, OparetaKind, OparetaOutcome, OparetaService } from './definitions';
import { drillService, emptyDrillReport } from './drill/drill-service';
import { ProgressTracker } from './progress';
import { secondsBetween, stampOf } from './time';
import { parseInput } from './validate';

/**
 * The nightly proof that the backups restore: each service's backup goes into a scratch database that is
 * verified, timed against the RTO, aged against the RPO, and dropped. Live databases and apps are never
 * touched. `{}` drills the newest backup of every service.
 */
export async function restoreDrill(input: RestoreDrillInput): Promise<RestoreDrillResult> {
  const request = parseInput('restoreDrill', restoreDrillInputSchema, input);
  const startedMs = Date.now();
  const root = CancellationScope.current();
  const progress = new ProgressTracker();
  const services = [...new Set(request.services ?? (await quick.listServices()))];
  upsertSearchAttributes([
    { key: OparetaKind, value: 'drill' },
    { key: OparetaService, value: services },
    { key: OparetaOutcome, value: 'running' },
  ]);
  progress.setPlan(services.map((s) => `${s}: restore ${request.backup} into a scratch database, verify, drop it`));
  progress.setStep('drilling', services);

  const reports = services.map(emptyDrillReport);
  const context = {
    stamp: stampOf(startedMs),
    choice: drillChoice(request),
    progress,
    interruption: () => (root.consideredCancelled ? 'cancelled' : `timed out after ${request.timeoutMinutes} min`),
  };
  // Each service records its own failure; the deadline cancels whatever still runs, and cleanup still runs.
  await CancellationScope.withTimeout(request.timeoutMinutes * 60_000, () =>
    Promise.all(services.map((service, i) => drillService(service, reports[i], context))),
  ).catch((err: unknown) => {
    if (!isCancellation(err)) throw err;
  });

  const cancelled = root.consideredCancelled;
  const passed = !cancelled && reports.every((r) => r.passed);
  const outcome = cancelled ? 'cancelled' : passed ? 'passed' : 'failed';
  progress.setStep(outcome);
  upsertSearchAttributes([
    { key: OparetaOutcome, value: outcome },
    { key: OparetaBackup, value: reports.flatMap((r) => (r.backupFile ? [r.backupFile] : [])) },
  ]);
  const failures = reports.filter((r) => !r.passed).map((r) => `${r.service}: ${r.reason ?? 'failed'}`);
  upsertMemo({ outcome, detail: failures.join('; ') || 'every backup restored and verified' });
  if (outcome === 'failed') await notifyDrillFailed(services, failures.join('; '));
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

function drillChoice(request: RestoreDrillRequest): BackupChoice {
  if (request.backup === 'latest') return { kind: 'latest' };
  if (request.backup.endsWith('.sql.gz')) return { kind: 'file', file: request.backup };
  return { kind: 'timestamp', timestamp: request.backup };
}

async function notifyDrillFailed(services: string[], detail: string): Promise<void> {
  try {
    await notifications.notify({ kind: 'drill-failed', workflowId: workflowInfo().workflowId, services, detail });
  } catch {
    // The failed drill is in its result and search attributes even when the notification is lost.
  }
}
