import { CancellationScope, patched } from '@temporalio/workflow';
import type { LogReview, TableRowChange } from '../../shared/activity-contract';
import { healthWithin, quick, swapApps, swapSteps, verification } from '../activity-proxies';
import { manifestOf, type ServicePlan } from './prepare';
import { swapBackV1, swapIntoLiveV1 } from './swap-v1';

/** Runs started before this change replay the one-rename-at-a-time swap (./swap-v1.ts). */
const ATOMIC_SWAP_PATCH = 'atomic-swap';

export interface SwapTimes {
  /** When the first app was stopped (or the swap began, when the apps were already down). */
  downSinceMs: number;
  restartedAtMs: number;
}

/**
 * Puts the restored database in place of the live one: apps stopped, both renames in one transaction, apps
 * started. Each step retries until done (a restarting PostgreSQL is waited for). Runs whole or not at all
 * with respect to a cancel request: the caller's next step sees the cancel and swaps back.
 */
export async function swapIntoLive(plan: ServicePlan, appsAlreadyStopped: boolean): Promise<SwapTimes> {
  if (!patched(ATOMIC_SWAP_PATCH)) return swapIntoLiveV1(plan, appsAlreadyStopped);
  const { service } = plan;
  return CancellationScope.nonCancellable(async () => {
    const downSinceMs = Date.now();
    if (!appsAlreadyStopped) await swapApps.stopApps({ service });
    await swapSteps.swapDatabaseNames({ service, names: plan.databases });
    const restartedAtMs = Date.now();
    await swapApps.startApps({ service });
    return { downSinceMs, restartedAtMs };
  });
}

export interface SwapBackResult {
  /** The restored database, kept under this name beside the live one (undefined: the swap had not renamed). */
  keptAs?: string;
  /** What the apps wrote to the restored database between their restart and the swap-back; undefined: unknown. */
  writtenAfterSwap?: TableRowChange[];
}

/**
 * Undoes a swap from whatever point it reached: the pre-restore database goes back under the live name in
 * one transaction, and the restored one is kept as `<db>_failed_restore_<stamp>`, never dropped, since the
 * apps may have written to it. Reads which names exist instead of trusting what the workflow believes.
 */
export async function swapBack(plan: ServicePlan, healthTimeoutSeconds: number): Promise<SwapBackResult> {
  if (!patched(ATOMIC_SWAP_PATCH)) {
    await swapBackV1(plan, healthTimeoutSeconds);
    return {};
  }
  const { service } = plan;
  const { failedRestore } = plan.databases;
  await swapApps.stopApps({ service });
  const undone = await swapSteps.swapBackDatabaseNames({ service, names: plan.databases });
  await swapApps.startApps({ service });
  const result: SwapBackResult = undone === 'nothing-to-undo' ? {} : { keptAs: failedRestore };
  if (result.keptAs) result.writtenAfterSwap = await changesAfterSwap(plan);
  await healthWithin(healthTimeoutSeconds).waitForHealth({ service, timeoutSeconds: healthTimeoutSeconds });
  return result;
}

/** Verified equal to the dump before the swap, so any difference now was written by the apps after it. */
async function changesAfterSwap(plan: ServicePlan): Promise<TableRowChange[] | undefined> {
  try {
    return await verification.rowChangesSince({
      service: plan.service,
      database: plan.databases.failedRestore,
      expected: manifestOf(plan).tables,
    });
  } catch {
    // The swap-back itself succeeded; the count is for the report, and "unknown" is said as such.
    return undefined;
  }
}

export interface AfterSwapCheck {
  healthy: boolean;
  unhealthy: string[];
  logReview: LogReview[];
  healthyAtMs: number;
}

/** The runbook's "Check Application Health" and "Review Logs" for the apps restarted on the new database. */
export async function checkAppsAfterSwap(
  plan: ServicePlan,
  restartedAtMs: number,
  healthTimeoutSeconds: number,
): Promise<AfterSwapCheck> {
  const { service } = plan;
  const health = await healthWithin(healthTimeoutSeconds).waitForHealth({
    service,
    timeoutSeconds: healthTimeoutSeconds,
  });
  const healthyAtMs = Date.now();
  const logReview = await quick.reviewAppLogs({ service, since: new Date(restartedAtMs).toISOString() });
  const unhealthy = [
    ...health.endpoints.filter((e) => !e.healthy).map((e) => `${e.url}: ${e.error ?? `HTTP ${e.status}`}`),
    ...logReview
      .filter((l) => l.errorLines.length > 0)
      .map((l) => `${l.container}: ${l.errorLines.length} database error line(s), e.g. ${l.errorLines[0]}`),
  ];
  if (!health.healthy && unhealthy.length === 0) unhealthy.push(`${service} did not become healthy`);
  return { healthy: unhealthy.length === 0, unhealthy, logReview, healthyAtMs };
}
