import { CancellationScope } from '@temporalio/workflow';
import { apps, healthWithin, quick } from '../activity-proxies';
import type { ServicePlan } from './prepare';
import type { SwapTimes } from './swap';

/**
 * The swap and swap-back of workflows started before the `atomic-swap` patch: one rename at a time, and a
 * swap-back that drops the restored database. Kept only so that runs in flight during an upgrade replay;
 * delete once no such run is open (then `deprecatePatch('atomic-swap')`).
 */
export async function swapIntoLiveV1(plan: ServicePlan, appsAlreadyStopped: boolean): Promise<SwapTimes> {
  const { service } = plan;
  const { live, side, preRestore } = plan.databases;
  return CancellationScope.nonCancellable(async () => {
    const downSinceMs = Date.now();
    if (!appsAlreadyStopped) await apps.stopApps({ service });
    await quick.terminateBackends({ service, database: live });
    if (await quick.databaseExists({ service, database: live })) {
      await quick.renameDatabase({ service, from: live, to: preRestore });
    }
    await quick.renameDatabase({ service, from: side, to: live });
    const restartedAtMs = Date.now();
    await apps.startApps({ service });
    return { downSinceMs, restartedAtMs };
  });
}

export async function swapBackV1(plan: ServicePlan, healthTimeoutSeconds: number): Promise<void> {
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
