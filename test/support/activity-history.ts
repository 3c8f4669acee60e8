import type { WorkflowHandle } from '@temporalio/client';
import { defaultPayloadConverter } from '@temporalio/common';

/** The result of the last completed attempt of an activity, read from the workflow's history. */
export async function completedActivityResult<T>(handle: WorkflowHandle, activityType: string): Promise<T> {
  const events = (await handle.fetchHistory()).events ?? [];
  const scheduled = new Set(
    events
      .filter((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === activityType)
      .map((e) => String(e.eventId)),
  );
  const completed = events.filter((e) =>
    scheduled.has(String(e.activityTaskCompletedEventAttributes?.scheduledEventId ?? '')),
  );
  const payload = completed.at(-1)?.activityTaskCompletedEventAttributes?.result?.payloads?.[0];
  if (!payload) throw new Error(`no completed ${activityType} in the history of ${handle.workflowId}`);
  return defaultPayloadConverter.fromPayload<T>(payload);
}
