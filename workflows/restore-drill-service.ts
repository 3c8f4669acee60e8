import {
  CancellationScope,
  CancelledFailure,
  isCancellation,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import { z } from 'zod';
import type { BackupChoice, DrillServiceReport } from '../shared/workflow-types';
import { notifications } from './activity-proxies';
import { OparetaBackup, OparetaKind, OparetaOutcome, OparetaService } from './definitions';
import { drillService, emptyDrillReport } from './drill/drill-service';
import { ProgressTracker } from './progress';
import { loadServiceHosts } from './host-routing';
import { parseInput } from './validate';

const drillServiceInputSchema = z
  .object({
    service: z.string().regex(/^[a-z_][a-z0-9_]{0,47}$/),
    /** "latest", a generation YYYYMMDD_HHMMSS or a file name. */
    backup: z.string().min(1).default('latest'),
    /** Names the scratch database; the parent passes one stamp for all its services. */
    stamp: z.string().regex(/^\d{14}(_[0-9a-z]{1,8})?$/),
    timeoutMinutes: z.number().positive().default(120),
    jobs: z.number().int().min(1).max(32).optional(),
  })
  .strict();

export type RestoreDrillServiceInput = z.input<typeof drillServiceInputSchema>;

/**
 * One service's part of a restore drill, as a child workflow of its own so that its outcome is searchable
 * per service (OparetaKind='drill-service' AND OparetaService='hermes' AND OparetaOutcome='failed').
 */
export async function restoreDrillService(input: RestoreDrillServiceInput): Promise<DrillServiceReport> {
  const request = parseInput('restoreDrillService', drillServiceInputSchema, input);
  const root = CancellationScope.current();
  const progress = new ProgressTracker();
  const { service } = request;
  upsertSearchAttributes([
    { key: OparetaKind, value: 'drill-service' },
    { key: OparetaService, value: service },
    { key: OparetaOutcome, value: 'running' },
  ]);
  progress.setPlan([
    `${service}: restore ${request.backup} into a scratch database, verify, drop it (or keep it as the warm standby)`,
  ]);
  progress.setStep('drilling', [service]);

  const report = emptyDrillReport(service);
  const context = {
    stamp: request.stamp,
    choice: drillChoice(request.backup),
    jobs: request.jobs,
    progress,
    interruption: () => (root.consideredCancelled ? 'cancelled' : `timed out after ${request.timeoutMinutes} min`),
  };
  await loadServiceHosts();
  // The drill's own deadline cancels the restore; drillService still drops the scratch database.
  await CancellationScope.withTimeout(request.timeoutMinutes * 60_000, () => drillService(service, report, context));

  const outcome = root.consideredCancelled ? 'cancelled' : report.passed ? 'passed' : 'failed';
  progress.setStep(outcome);
  upsertSearchAttributes([
    { key: OparetaOutcome, value: outcome },
    ...(report.backupFile ? [{ key: OparetaBackup, value: report.backupFile }] : []),
  ]);
  if (outcome === 'failed') await notifyDrillFailed(service, report.reason ?? 'failed');
  if (outcome === 'cancelled') throw new CancelledFailure(`drill of ${service} cancelled; scratch database dropped`);
  return report;
}

function drillChoice(backup: string): BackupChoice {
  if (backup === 'latest') return { kind: 'latest' };
  if (backup.endsWith('.sql.gz')) return { kind: 'file', file: backup };
  return { kind: 'timestamp', timestamp: backup };
}

async function notifyDrillFailed(service: string, detail: string): Promise<void> {
  try {
    await notifications.notify({
      kind: 'drill-failed',
      workflowId: workflowInfo().workflowId,
      services: [service],
      detail,
    });
  } catch (err) {
    // The failed drill is in its result and search attributes even when the notification is lost.
    if (isCancellation(err)) throw err;
  }
}
