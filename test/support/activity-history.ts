import type { WorkflowHandle } from '@temporalio/client';
import { defaultPayloadConverter } from '@temporalio/common';

/**
 * The result of the last completed attempt of an activity, read from the workflow's history; with `service`, of
 * that service's activity only (a full-system restore runs one restore per service).
 */
export async function completedActivityResult<T>(
  handle: WorkflowHandle,
  activityType: string,
  service?: string,
): Promise<T> {
  const events = (await handle.fetchHistory()).events ?? [];
  const scheduled = new Set(
    events
      .filter((e) => {
        const attributes = e.activityTaskScheduledEventAttributes;
        if (attributes?.activityType?.name !== activityType) return false;
        if (service === undefined) return true;
        const [input] = (attributes.input?.payloads ?? []).map((p) => defaultPayloadConverter.fromPayload(p));
        return (input as { service?: string } | undefined)?.service === service;
      })
      .map((e) => String(e.eventId)),
  );
  const completed = events.filter((e) =>
    scheduled.has(String(e.activityTaskCompletedEventAttributes?.scheduledEventId ?? '')),
  );
  const payload = completed.at(-1)?.activityTaskCompletedEventAttributes?.result?.payloads?.[0];
  if (!payload) throw new Error(`no completed ${activityType} in the history of ${handle.workflowId}`);
  return defaultPayloadConverter.fromPayload<T>(payload);
}

/** One activity the workflow scheduled: where it was sent, for which service, and which worker ran it last. */
export interface ActivityExecution {
  name: string;
  taskQueue: string;
  service?: string;
  /** The identity of the worker that started its last attempt (absent while it has not started). */
  workerIdentity?: string;
}

/** Every activity in the workflow's history, in the order they were scheduled. */
export async function activityExecutions(handle: WorkflowHandle): Promise<ActivityExecution[]> {
  const events = (await handle.fetchHistory()).events ?? [];
  const startedBy = new Map<string, string>();
  for (const event of events) {
    const started = event.activityTaskStartedEventAttributes;
    if (started) startedBy.set(String(started.scheduledEventId), started.identity ?? '');
  }
  return events.flatMap((event) => {
    const scheduled = event.activityTaskScheduledEventAttributes;
    if (!scheduled) return [];
    const [input] = (scheduled.input?.payloads ?? []).map((p) => defaultPayloadConverter.fromPayload(p));
    return [
      {
        name: scheduled.activityType?.name ?? '',
        taskQueue: scheduled.taskQueue?.name ?? '',
        service: (input as { service?: string } | undefined)?.service,
        workerIdentity: startedBy.get(String(event.eventId)),
      },
    ];
  });
}
