import type { WorkflowHandle } from '@temporalio/client';
import type { ServiceProgress, WorkflowProgress } from '../../shared/workflow-types';

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

/** Polls the workflow's `progress` query until a service shows restored bytes. */
export async function waitForQueryProgress(
  handle: WorkflowHandle,
  service: string,
  timeoutMs = 120_000,
): Promise<ServiceProgress> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const progress = await handle.query<WorkflowProgress>('progress');
    const part = progress.services[service];
    if (part && part.bytesDone > 0) return part;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new Error(`the progress query showed no restored bytes of ${service} within ${timeoutMs} ms`);
}
