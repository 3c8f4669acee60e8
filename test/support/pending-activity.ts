import { QueryNotRegisteredError, type WorkflowHandle } from '@temporalio/client';
import { RESTORE_BACKUP_ACTIVITY } from '../../shared/activity-contract';
import type { ServiceProgress } from '../../shared/workflow-types';
import { progressQuery } from '../../workflows/definitions';

/** Polls until the workflow has an attempt of `activityType` running, and returns its attempt number. */
export async function waitForPendingActivity(
  handle: WorkflowHandle,
  activityType: string,
  timeoutMs = 120_000,
): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const description = await handle.describe();
    const pending = description.raw.pendingActivities?.find((a) => a.activityType?.name === activityType);
    if (pending && pending.state === 2 /* STARTED */) return pending.attempt ?? 1;
    if (description.status.name !== 'RUNNING')
      throw new Error(`workflow ended (${description.status.name}) before ${activityType} ran`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`no ${activityType} running after ${timeoutMs} ms`);
}

/**
 * Polls until the workflow's progress query (progressQuery) shows restored bytes of a service while its restore
 * activity is still running: the bytes then came from the running activity, not from its result.
 */
export async function waitForLiveQueryProgress(
  handle: WorkflowHandle,
  service: string,
  timeoutMs = 120_000,
  atLeastPercent = 0,
): Promise<ServiceProgress> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    // A workflow registers its progress handler once its first step has run (fullSystemRestore lists services
    // first): until then the query is refused.
    const progress = await handle.query(progressQuery).catch((err: unknown) => {
      if (err instanceof QueryNotRegisteredError) return undefined;
      throw err;
    });
    if (!progress) {
      await new Promise((resolve) => setTimeout(resolve, 200));
      continue;
    }
    const description = await handle.describe();
    const restoring = description.raw.pendingActivities?.some((a) => a.activityType?.name === RESTORE_BACKUP_ACTIVITY);
    const part = progress.services[service];
    if (restoring && part && part.bytesDone > 0 && part.percent >= atLeastPercent) return part;
    if (description.status.name !== 'RUNNING') throw new Error(`workflow ended (${description.status.name})`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`the progress query showed no live restore bytes of ${service} within ${timeoutMs} ms`);
}
