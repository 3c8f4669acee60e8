import { CancellationScope } from '@temporalio/workflow';
import type { LogReview } from '../../shared/activity-contract';
import { apps, healthWithin, quick } from '../activity-proxies';
import type { ServicePlan } from './prepare';

export interface SwapTimes {
  /** When the first app was stopped (or the swap began, when the apps were already down). */
  downSinceMs: number;
  restartedAtMs: number;
}

/**
 * Puts the restored database in place of the live one. Runs whole or not at all with respect to a cancel
 * request: the scope is not cancellable, and the caller's next step sees the cancel and swaps back.
 */
export async function swapIntoLive(plan: ServicePlan, appsAlreadyStopped: boolean): Promise<SwapTimes> {
  const { service } = plan;
  const { live, side, preRestore } = plan.databases;
  return CancellationScope.nonCancellable(async () => {
    const downSinceMs = Date.now();
    if (!appsAlreadyStopped) await apps.stopApps({ service });
    await quick.terminateBackends({ service, database: live });
    // In-place mode exists for a live database that is gone: there is nothing to keep aside then.
    if (await quick.databaseExists({ service, database: live })) {
      await quick.renameDatabase({ service, from: live, to: preRestore });
    }
    await quick.renameDatabase({ service, from: side, to: live });
    const restartedAtMs = Date.now();
    await apps.startApps({ service });
    return { downSinceMs, restartedAtMs };
  });
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

/**
 * Undoes a swap, from whatever point it reached: the pre-restore database goes back under the live name
 * and the restored one is dropped. Reads the databases' existence instead of trusting what the workflow
 * believes, because an activity that timed out may still have done its rename.
 */
export async function swapBack(plan: ServicePlan, healthTimeoutSeconds: number): Promise<void> {
  const { service } = plan;
  const { live, preRestore, failedRestore } = plan.databases;
  await apps.stopApps({ service });
  await quick.terminateBackends({ service, database: live });
  if (await quick.databaseExists({ service, database: preRestore })) {
    if (await quick.databaseExists({ service, database: live })) {
      await quick.renameDatabase({ service, from: live, to: failedRestore });
      await quick.dropDatabase({ service, database: failedRestore });
    }
    await quick.renameDatabase({ service, from: preRestore, to: live });
  }
  await apps.startApps({ service });
  await healthWithin(healthTimeoutSeconds).waitForHealth({ service, timeoutSeconds: healthTimeoutSeconds });
}
