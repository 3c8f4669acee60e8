import type { RestoreMode, ServiceRestoreReport } from '../../shared/workflow-types';
import type { UsableStandby } from '../standby/choose';
import { mayFallBack } from './backup-choice';
import { manifestOf, type ServicePlan } from './prepare';

/** A service's report before anything is known about it. */
export function emptyReport(service: string): ServiceRestoreReport {
  return {
    service,
    outcome: 'failed',
    brokenBackups: [],
    rpo: { limitHours: 24 },
    databases: { live: '', side: '', preRestore: '', failedRestore: '' },
    expectedLoss: [],
    swapped: false,
    rolledBack: false,
    containers: [],
  };
}

/** Fills in what the plan learnt, once its backup was read (when planning, or by the restore: one read). */
export function recordPlan(report: ServiceRestoreReport, plan: ServicePlan): void {
  const { backup, fallbackFrom, broken } = plan.chosen;
  report.backup = {
    file: backup.file,
    takenAt: backup.takenAt,
    ageHours: backup.ageHours,
    sizeBytes: backup.sizeBytes,
    uncompressedBytes: manifestOf(plan).uncompressedBytes,
  };
  report.fallbackFrom = fallbackFrom;
  report.brokenBackups = broken;
  const limitHours = plan.description.rpoHours;
  report.rpo = { limitHours, ageHours: backup.ageHours, met: backup.ageHours <= limitHours };
  report.databases = plan.databases;
  const { exists, sizeBytes, tables, takenAt } = plan.snapshot;
  report.liveBefore = { exists, sizeBytes, tables, takenAt };
  report.expectedLoss = plan.expectedLoss;
}

/** Whether the plan swaps in a standby, and why not; set only by runs since the warm standby. */
export function recordStandby(report: ServiceRestoreReport, plan: ServicePlan): void {
  if (!plan.standby && plan.standbyUnusedReason === undefined) return;
  report.fromStandby = Boolean(plan.standby);
  report.standby = plan.standby?.database;
  report.standbyUnusedReason = plan.standbyUnusedReason;
  if (plan.standbysDropped?.length) report.standbysDropped = plan.standbysDropped;
}

/** The steps the restore will take, in words an SRE reads in the UI before approving. */
export function describePlan(plans: ServicePlan[], mode: RestoreMode, approvalStep?: string): string[] {
  const prepare: string[] = [];
  const swap: string[] = [];
  for (const plan of plans) {
    const { backup, fallbackFrom } = plan.chosen;
    const { live, side, preRestore } = plan.databases;
    if (plan.standby) {
      prepare.push(describeStandbyUse(plan, plan.standby));
    } else {
      prepare.push(
        `${plan.service}: restore ${backup.file} (taken ${backup.takenAt}, ${backup.ageHours.toFixed(1)} h old, ` +
          `RPO ${plan.description.rpoHours} h ${backup.ageHours <= plan.description.rpoHours ? 'met' : 'MISSED'})` +
          `${fallbackFrom ? ` instead of the broken ${fallbackFrom}` : ''} into ${side}; ${describeLoss(plan)}`,
        `${plan.service}: verify ${side}: tables and row counts against the dump, service checks, amcheck`,
      );
    }
    if (plan.standbysDropped?.length) {
      prepare.unshift(`${plan.service}: dropped ${plan.standbysDropped.join(', ')} to make room for the restore`);
    }
    if (mode === 'in-place') {
      prepare.unshift(
        `${plan.service}: apps ${plan.description.appContainers.join(', ')} stay stopped during the restore`,
      );
    }
    swap.push(
      `${plan.service}: swap: stop ${plan.description.appContainers.join(', ')}, rename ${live} to ${preRestore}, ` +
        `rename ${side} to ${live}, start the apps, wait for health, review their logs; swap back on failure`,
    );
  }
  const approval = approvalStep ? [approvalStep] : [];
  return [...prepare, ...approval, ...swap];
}

/** A restore that is a rename: which standby, what it holds, who verified it. */
function describeStandbyUse(plan: ServicePlan, standby: UsableStandby): string {
  const { backup } = plan.chosen;
  const { record } = standby;
  return (
    `${plan.service}: no restore: rename the warm standby ${standby.database} (${backup.file}, taken ` +
    `${backup.takenAt}, ${backup.ageHours.toFixed(1)} h old, verified by drill ${record.drillWorkflowId} at ` +
    `${record.verifiedAt}) to ${plan.databases.side}; ${describeLoss(plan)}`
  );
}

/** What the swap would lose; before the backup is read (one read), how the restore checks it. */
function describeLoss(plan: ServicePlan): string {
  if (!plan.chosen.manifest) {
    const fallback = mayFallBack(plan.choice) ? ' (the previous generation instead if it proves broken)' : '';
    return `the backup is checked as it is restored, in one read${fallback}; the rows the swap would lose are known once it is read`;
  }
  const lost = plan.expectedLoss.filter((d) => d.difference < 0);
  // An estimated live count (a large table) is said so: "about", and the tables counted by estimate.
  const loss = lost.length
    ? `the swap would lose ${lost.map((d) => `${d.estimated ? 'about ' : ''}${-d.difference} row(s) of ${d.table}`).join(', ')}`
    : 'no table loses rows';
  const estimated = plan.expectedLoss.filter((d) => d.estimated).length;
  return estimated ? `${loss} (live rows of ${estimated} large table(s) estimated, not counted)` : loss;
}

export function timeSkewHours(plans: ServicePlan[]): number {
  const times = plans.map((p) => Date.parse(p.chosen.backup.takenAt));
  if (times.length < 2) return 0;
  return Math.round(((Math.max(...times) - Math.min(...times)) / 3_600_000) * 100) / 100;
}
