import type { VerificationReport } from '../../shared/activity-contract';
import { ErrorType } from '../../shared/errors';
import { quick } from '../activity-proxies';
import { failureType } from '../failures';
import type { ProgressTracker } from '../progress';
import type { ServicePlan } from '../restore/prepare';
import type { Compensations } from '../saga';
import { secondsBetween } from '../time';
import type { UsableStandby } from './choose';

export type StandbyUse = { used: true; seconds: number; verification: VerificationReport } | { used: false };

/**
 * The restore and verification of a plan with a usable standby: one rename of the standby to the side name the
 * swap expects, connections allowed again (useStandby). From here the standby is consumed: like any side
 * database, a failure or cancel before the swap drops it (the compensation's name says it was the standby), and
 * after the swap it is kept as `_failed_restore_` by the swap-back. Live is never touched here. The backup it
 * came from is still in the catalog, so nothing is lost. A standby gone since the plan (a drill replaced it
 * meanwhile) is `{used: false}`: the caller restores normally.
 */
export async function useStandbyAsSide(
  plan: ServicePlan,
  standby: UsableStandby,
  saga: Compensations,
  progress: ProgressTracker,
): Promise<StandbyUse> {
  const { service } = plan;
  const { side } = plan.databases;
  saga.push(`drop ${side} (the standby ${standby.database}, renamed into it)`, async () => {
    await quick.dropDatabase({ service, database: side });
  });
  progress.setServiceStep(service, 'using-standby');
  const startedMs = Date.now();
  try {
    await quick.useStandby({ service, standby: standby.database, target: side });
  } catch (err) {
    if (failureType(err) === ErrorType.StandbyGone) return { used: false };
    throw err;
  }
  progress.markBytesDone(service, plan.chosen.backup.sizeBytes);
  const { record } = standby;
  // The drill verified this very database; its checks stand for the verification a restore would run.
  const verification: VerificationReport = {
    database: side,
    passed: true,
    checks: record.checks.map((c) => ({
      ...c,
      detail: `${c.detail} (drill ${record.drillWorkflowId}, ${record.verifiedAt})`,
    })),
  };
  return { used: true, seconds: secondsBetween(startedMs, Date.now()), verification };
}
