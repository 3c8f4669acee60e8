import {
  CancellationScope,
  isCancellation,
  patched,
  upsertMemo,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type {
  ApprovalRecord,
  RestoreMode,
  RestoreOptions,
  RestoreOutcome,
  ServiceRestoreReport,
} from '../../shared/workflow-types';
import { apps, courtesy, notifications, quick } from '../activity-proxies';
import { ApprovalGate } from '../approval';
import { OparetaBackup, OparetaKind, OparetaOutcome, OparetaService, type WorkflowKind } from '../definitions';
import { failureMessage } from '../failures';
import { ProgressTracker } from '../progress';
import { Compensations } from '../saga';
import { acquireServiceLocks, releaseServiceLocks } from '../service-lock';
import { loadServiceHosts } from '../host-routing';
import { runStamp, secondsBetween } from '../time';
import { ONE_READ_PATCH } from './backup-choice';
import { useStandbyAsSide } from '../standby/use';
import {
  manifestOf,
  planService,
  restoreIntoDatabase,
  sideRestoreBytes,
  verifyRestoredDatabase,
  type ServicePlan,
  type ServiceTarget,
} from './prepare';
import { describePlan, emptyReport, recordPlan, recordStandby, timeSkewHours } from './report';
import { describeSwapState, manualRepairSteps } from './manual-repair';
import { checkAppsAfterSwap, swapBack, swapIntoLive, type SwapTimes } from './swap';

export interface RestoreRequest {
  kind: Extract<WorkflowKind, 'restore' | 'full-restore'>;
  targets: ServiceTarget[];
  mode: RestoreMode;
  /** Unset: the deployment's rule decides (see ApprovalGate.configure). */
  requireApproval?: boolean;
  approvalTimeoutSeconds: number;
  skipServiceChecks: boolean;
  dryRun: boolean;
  healthTimeoutSeconds: number;
  jobs?: number;
  /** Input `useStandby`: a verified warm standby of the chosen backup is swapped in instead of a restore. */
  useStandby: boolean;
}

/** The engine's request from a workflow's validated options (its input names the approval timeout shorter). */
export function restoreRequest(
  kind: RestoreRequest['kind'],
  targets: ServiceTarget[],
  options: RestoreOptions,
): RestoreRequest {
  const { mode, requireApproval, approvalTimeout, skipServiceChecks, dryRun, healthTimeoutSeconds, jobs, useStandby } =
    options;
  const approvalTimeoutSeconds = approvalTimeout;
  return {
    kind,
    targets,
    mode,
    requireApproval,
    approvalTimeoutSeconds,
    skipServiceChecks,
    dryRun,
    healthTimeoutSeconds,
    jobs,
    useStandby,
  };
}

export interface RestoreRun {
  outcome: RestoreOutcome;
  detail: string;
  plan: string[];
  approval: ApprovalRecord;
  services: ServiceRestoreReport[];
  downtimeSeconds?: number;
  timeSkewHours: number;
  totalSeconds: number;
  rolledBack: boolean;
  compensations: string[];
}

/**
 * Restores one or more services together: plan (reads only), restore each beside its live database and
 * verify, one approval, swap all, check all; all or nothing. Both restoreDatabase and fullSystemRestore
 * run this. Create it at the start of the workflow: it registers the query and signal handlers.
 */
export class RestoreEngine {
  private readonly startedMs = Date.now();
  private readonly stamp = runStamp(this.startedMs);
  private readonly progress = new ProgressTracker();
  private readonly gate = new ApprovalGate(() => this.progress.current().step);
  private readonly saga = new Compensations();
  private readonly reports = new Map<string, ServiceRestoreReport>();
  private plans: ServicePlan[] = [];
  private planSteps: string[] = [];
  private approval: ApprovalRecord = { required: false };
  private requireApproval = false;
  /** Swap mode reads each backup once, in its restore; see runLocked. */
  private oneRead = false;
  private downSinceMs?: number;
  private healthyAtMs?: number;

  constructor(private readonly request: RestoreRequest) {
    for (const { service } of request.targets) this.reports.set(service, emptyReport(service));
  }

  private get services(): string[] {
    return this.request.targets.map((t) => t.service);
  }

  async run(): Promise<RestoreRun> {
    await loadServiceHosts();
    this.requireApproval = await this.gate.configure(this.request);
    this.approval = { required: this.requireApproval };
    upsertSearchAttributes([
      { key: OparetaKind, value: this.request.kind },
      { key: OparetaService, value: this.services.join(',') },
      { key: OparetaOutcome, value: 'running' },
    ]);
    // A dry run changes nothing, so it needs no lock and may run beside a restore.
    const locks = this.request.dryRun ? [] : await acquireServiceLocks(this.services);
    try {
      return await this.runLocked();
    } finally {
      await releaseServiceLocks(locks);
    }
  }

  private async runLocked(): Promise<RestoreRun> {
    try {
      this.progress.setStep('planning', this.services);
      // One read of the backup: a swap restores it into the side database unread, and the restore's own pass
      // checks it (a broken one drops the side database and falls back). In-place mode stops the apps before the
      // restore, and a dry run restores nothing: both read the backup first, as runs from before the patch did.
      this.oneRead = this.request.mode === 'swap' && !this.request.dryRun && patched(ONE_READ_PATCH);
      const readFirst = !this.oneRead;
      const { mode, dryRun, useStandby } = this.request;
      const options = { readBackup: readFirst, dryRun, standby: { mode, useStandby } };
      this.plans = await Promise.all(
        this.request.targets.map((t) => planService(t, this.stamp, this.progress, options)),
      );
      for (const plan of this.plans) {
        recordStandby(this.report(plan.service), plan);
        // A standby's record is its manifest: known now, as when the backup was read first.
        if (readFirst || plan.standby) recordPlan(this.report(plan.service), plan);
      }
      this.describePlans();
      upsertSearchAttributes([{ key: OparetaBackup, value: this.backupFiles() }]);
      if (this.request.dryRun) return await this.finish('dry-run', 'dry run: the plan only, nothing was changed');
      await this.notifyPlanned();
      return await this.execute();
    } catch (err) {
      await this.compensate();
      await this.finish(isCancellation(err) ? 'cancelled' : 'failed', failureMessage(err));
      throw err;
    }
  }

  private async execute(): Promise<RestoreRun> {
    const inPlace = this.request.mode === 'in-place';
    if (inPlace) await this.stopAppsForWholeRestore();

    this.progress.setStep('restoring', this.services);
    await settleAll(this.plans.map((plan) => this.restoreAndVerify(plan)));
    const failedVerification = this.plans.filter((p) => !this.report(p.service).verification?.passed);
    if (failedVerification.length > 0) {
      await this.compensate();
      const names = failedVerification.map((p) => `${p.service} (${failedChecks(this.report(p.service))})`);
      return this.finish('verification-failed', `verification failed for ${names.join(', ')}; live untouched`);
    }

    if (this.requireApproval) {
      this.progress.setStep('awaiting-approval', this.services);
      this.approval = await this.gate.wait(this.request.approvalTimeoutSeconds);
      if (this.approval.decision !== 'approved') {
        await this.compensate();
        const outcome = this.approval.decision === 'rejected' ? 'rejected' : 'approval-timed-out';
        const by = this.approval.by ? ` by ${this.approval.by}` : '';
        return this.finish(outcome, `not approved (${this.approval.decision}${by}); live untouched`);
      }
    }

    this.progress.setStep('swapping', this.services);
    const swaps = await settleAll(this.plans.map((plan) => this.swap(plan, inPlace)));
    this.downSinceMs ??= Math.min(...swaps.map((s) => s.downSinceMs));

    this.progress.setStep('checking-health', this.services);
    const unhealthy = await this.checkAllAfterSwap(swaps);
    if (unhealthy.length > 0) {
      await this.compensate();
      return this.finish('rolled-back', `after the swap ${unhealthy.join('; ')}: swapped back${this.keptCopies()}`);
    }
    // Healthy on the restored data: from here a cancel request no longer reverts the restore.
    return CancellationScope.nonCancellable(async () => {
      for (const plan of this.plans) this.report(plan.service).swapped = true;
      return this.finish('restored', `restored ${this.plans.map((p) => p.chosen.backup.file).join(', ')}`);
    });
  }

  /** The plan in words, for the progress query and the result. */
  private describePlans(): void {
    this.planSteps = describePlan(this.plans, this.request.mode, this.gate.describe());
    this.progress.setPlan(this.planSteps);
  }

  private backupFiles(): string {
    return this.plans.map((p) => p.chosen.backup.file).join(',');
  }

  /** One read: what the restore learnt of its backup completes the plan (and names a fallback's file). */
  private recordRead(plan: ServicePlan): void {
    recordPlan(this.report(plan.service), plan);
    this.describePlans();
    if (plan.chosen.fallbackFrom) upsertSearchAttributes([{ key: OparetaBackup, value: this.backupFiles() }]);
  }

  /** The runbook's order: the apps stay down from before the restore until after the swap. */
  private async stopAppsForWholeRestore(): Promise<void> {
    this.progress.setStep('stopping-apps', this.services);
    this.saga.push('restart apps', async () => {
      for (const service of this.services) await apps.startApps({ service });
    });
    this.downSinceMs = Date.now();
    await settleAll(this.services.map((service) => apps.stopApps({ service })));
  }

  private async restoreAndVerify(plan: ServicePlan): Promise<void> {
    const report = this.report(plan.service);
    const { side } = plan.databases;
    if (plan.standby) {
      const use = await useStandbyAsSide(plan, plan.standby, this.saga, this.progress);
      if (use.used) {
        report.restoreSeconds = use.seconds;
        report.verification = use.verification;
        this.progress.setServiceStep(plan.service, 'verified');
        return;
      }
      // Gone since the plan (a drill replaced it): the restore it stood in for, with the disk check it skipped.
      report.standbyUnusedReason = `the standby ${plan.standby.database} was gone when the restore came to use it`;
      report.fromStandby = false;
      report.standby = undefined;
      plan.standby = undefined;
      await quick.checkDiskRoom({
        service: plan.service,
        neededBytes: sideRestoreBytes(manifestOf(plan).uncompressedBytes, plan.snapshot),
      });
      this.describePlans();
    }
    const restored = await restoreIntoDatabase(plan, side, this.saga, this.progress, this.request.jobs);
    if (this.oneRead) this.recordRead(plan);
    report.restoreSeconds = restored.seconds;
    report.verification = await verifyRestoredDatabase(plan, side, this.request.skipServiceChecks, this.progress);
    this.progress.setServiceStep(plan.service, report.verification.passed ? 'verified' : 'verification-failed');
  }

  private async swap(plan: ServicePlan, appsAlreadyStopped: boolean): Promise<SwapTimes> {
    const report = this.report(plan.service);
    // Pushed before the swap: swapBack reads which renames happened, so it undoes a partial swap too.
    this.saga.push(`swap back ${plan.service}`, async () => {
      const undone = await swapBack(plan, this.request.healthTimeoutSeconds);
      report.rolledBack = true;
      if (undone.keptAs) {
        const changes = undone.writtenAfterSwap;
        report.failedRestore = {
          database: undone.keptAs,
          tablesChangedAfterSwap: changes,
          rowsChangedAfterSwap: changes?.reduce((sum, c) => sum + Math.abs(c.rows - c.expectedRows), 0),
        };
      }
    });
    this.progress.setServiceStep(plan.service, 'swapping');
    return swapIntoLive(plan, appsAlreadyStopped);
  }

  /** Returns what is unhealthy, across all services. */
  private async checkAllAfterSwap(swaps: SwapTimes[]): Promise<string[]> {
    const checks = await settleAll(
      this.plans.map((plan, i) => checkAppsAfterSwap(plan, swaps[i].restartedAtMs, this.request.healthTimeoutSeconds)),
    );
    this.healthyAtMs = Math.max(...checks.map((c) => c.healthyAtMs));
    checks.forEach((check, i) => {
      const report = this.report(this.plans[i].service);
      report.health = { healthy: check.healthy, unhealthy: check.unhealthy };
      report.logReview = check.logReview;
      report.downtimeSeconds = secondsBetween(this.downSinceMs ?? swaps[i].downSinceMs, check.healthyAtMs);
    });
    return checks.flatMap((c, i) => (c.healthy ? [] : [`${this.plans[i].service}: ${c.unhealthy.join(', ')}`]));
  }

  private async compensate(): Promise<void> {
    if (this.saga.pending === 0) return;
    this.progress.setStep('compensating', this.services);
    await this.saga.compensate();
  }

  /** The containers as `docker compose ps` shows them, whatever the outcome; best effort. */
  private async recordContainers(): Promise<void> {
    for (const service of this.services) {
      try {
        this.report(service).containers = await courtesy.containerStates({ service });
      } catch {
        // The result still tells what happened; the container list is a courtesy.
      }
    }
  }

  private async notifyPlanned(): Promise<void> {
    // In-place mode (the only one whose downtime includes the restore) reads the backups before this.
    const sqlBytes = (plan: ServicePlan) => plan.chosen.manifest?.uncompressedBytes ?? 0;
    const restoreSeconds = Math.max(...this.plans.map((p) => sqlBytes(p) / 50_000_000));
    const expectedDowntimeSeconds = Math.round(10 + (this.request.mode === 'in-place' ? restoreSeconds : 0));
    await notifySafely({
      kind: 'restore-planned',
      workflowId: workflowInfo().workflowId,
      services: this.services,
      backups: this.plans.map((p) => p.chosen.backup.file),
      expectedDowntimeSeconds,
      mode: this.request.mode,
    });
  }

  /** What a swap-back kept beside the live database, for the outcome's detail. */
  private keptCopies(): string {
    const kept = [...this.reports.values()].flatMap((r) => (r.failedRestore ? [r.failedRestore] : []));
    if (kept.length === 0) return '';
    const rows = (n?: number) => (n === undefined ? 'an unknown number of rows' : `${n} row(s)`);
    return `; kept ${kept.map((k) => `${k.database} (${rows(k.rowsChangedAfterSwap)} written after the swap)`).join(', ')}`;
  }

  /**
   * A compensation that did not finish after its retries: nothing more is tried automatically. The result
   * and a notification say which database has which name and the commands that finish the job by hand.
   */
  private async reportUnfinishedCompensation(detail: string): Promise<string> {
    const failed = this.saga.failed.map((f) => `${f.name}: ${f.error}`).join('; ');
    const states: string[] = [];
    const steps: string[] = [];
    for (const plan of this.plans) {
      let state: Awaited<ReturnType<typeof courtesy.readSwapState>> | undefined;
      try {
        state = await courtesy.readSwapState({ service: plan.service, names: plan.databases });
      } catch {
        state = undefined;
      }
      const serviceSteps = manualRepairSteps(plan, state);
      this.report(plan.service).manualRepair = serviceSteps;
      states.push(describeSwapState(plan, state));
      steps.push(`# ${plan.service}`, ...serviceSteps);
    }
    const full = `${detail}; NOT undone: ${failed}; ${states.join('; ')}; finish by hand (steps in the result)`;
    await notifySafely({
      kind: 'manual-repair-needed',
      workflowId: workflowInfo().workflowId,
      services: this.services,
      detail: full,
      steps,
    });
    return full;
  }

  private async finish(requested: RestoreOutcome, requestedDetail: string): Promise<RestoreRun> {
    let outcome = requested;
    let detail = requestedDetail;
    if (this.saga.failed.length > 0) {
      outcome = 'needs-manual-repair';
      detail = await CancellationScope.nonCancellable(() => this.reportUnfinishedCompensation(requestedDetail));
    }
    this.progress.setStep(outcome, this.services);
    for (const report of this.reports.values()) report.outcome = outcome;
    const compensations = [...this.saga.ran];
    const rolledBack = compensations.some((c) => c.startsWith('swap back') || c.startsWith('restart apps'));
    const downtimeSeconds =
      this.downSinceMs !== undefined && this.healthyAtMs !== undefined
        ? secondsBetween(this.downSinceMs, this.healthyAtMs)
        : undefined;
    upsertSearchAttributes([{ key: OparetaOutcome, value: outcome }]);
    upsertMemo({ outcome, detail });
    if (outcome !== 'dry-run') {
      await CancellationScope.nonCancellable(() => this.recordContainers());
      await CancellationScope.nonCancellable(() =>
        notifySafely({
          kind: 'restore-outcome',
          workflowId: workflowInfo().workflowId,
          services: this.services,
          outcome,
          detail,
        }),
      );
    }
    return {
      outcome,
      detail,
      plan: this.planSteps,
      approval: this.approval,
      services: [...this.reports.values()],
      downtimeSeconds,
      timeSkewHours: timeSkewHours(this.plans),
      totalSeconds: secondsBetween(this.startedMs, Date.now()),
      rolledBack,
      compensations,
    };
  }

  private report(service: string): ServiceRestoreReport {
    const report = this.reports.get(service);
    if (!report) throw new TypeError(`no report for ${service}`);
    return report;
  }
}

/** Waits for every branch before failing, so compensation never races a step still running. */
async function settleAll<T>(promises: Promise<T>[]): Promise<T[]> {
  const settled = await Promise.allSettled(promises);
  const rejected = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected');
  if (rejected) throw rejected.reason;
  return settled.map((s) => (s as PromiseFulfilledResult<T>).value);
}

function failedChecks(report: ServiceRestoreReport): string {
  const failed = report.verification?.checks.filter((c) => !c.passed) ?? [];
  return failed.map((c) => `${c.name}: ${c.detail}`).join(', ') || 'no verification';
}

async function notifySafely(notification: Parameters<typeof notifications.notify>[0]): Promise<void> {
  try {
    await notifications.notify(notification);
  } catch (err) {
    if (isCancellation(err)) throw err;
    // A lost notification must not fail or undo a restore; the outcome is in the workflow result anyway.
  }
}
