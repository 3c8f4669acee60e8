import type { WorkflowHandle } from '@temporalio/client';

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
