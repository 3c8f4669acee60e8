import type { WorkflowHandle } from '@temporalio/client';
import type { temporal } from '@temporalio/proto';
import type { WorkflowProgress } from '../../shared/workflow-types';
import { progressQuery } from '../../workflows/definitions';

type HistoryEvent = temporal.api.history.v1.IHistoryEvent;

/** Thrown when the moment a fault waits for never comes (the workflow closed first, or the run's deadline). */
export class MomentMissed extends Error {}

const POLL_MS = 200;

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Polls `probe` until it returns a value; gives up when the workflow closes or the deadline passes. */
export async function waitFor<T>(
  what: string,
  handle: WorkflowHandle,
  deadlineMs: number,
  probe: () => Promise<T | undefined>,
): Promise<T> {
  for (;;) {
    const value = await probe().catch(() => undefined);
    if (value !== undefined) return value;
    if (Date.now() > deadlineMs) throw new MomentMissed(`${what}: not seen before the run's deadline`);
    if (await isClosed(handle)) throw new MomentMissed(`${what}: the workflow closed first`);
    await sleep(POLL_MS);
  }
}

export async function isClosed(handle: WorkflowHandle): Promise<boolean> {
  try {
    return (await handle.describe()).status.name !== 'RUNNING';
  } catch {
    return false;
  }
}

/** The progress query (progressQuery), answered by the worker; undefined while no worker answers. */
export async function progressOf(handle: WorkflowHandle): Promise<WorkflowProgress | undefined> {
  try {
    return await handle.query(progressQuery);
  } catch {
    return undefined;
  }
}

/** Until the progress of `service` is at one of `steps`. */
export function untilServiceStep(
  handle: WorkflowHandle,
  deadlineMs: number,
  service: string,
  steps: string[],
): Promise<WorkflowProgress> {
  return waitFor(`${service} at ${steps.join('/')}`, handle, deadlineMs, async () => {
    const progress = await progressOf(handle);
    return progress && steps.includes(progress.services[service]?.step ?? '') ? progress : undefined;
  });
}

export function untilStep(handle: WorkflowHandle, deadlineMs: number, steps: string[]): Promise<WorkflowProgress> {
  return waitFor(`step ${steps.join('/')}`, handle, deadlineMs, async () => {
    const progress = await progressOf(handle);
    return progress && steps.includes(progress.step) ? progress : undefined;
  });
}

/** Until the history has an event of this activity type in this state (scheduled, started, completed). */
export function untilActivityEvent(
  handle: WorkflowHandle,
  deadlineMs: number,
  activityType: string,
  state: 'scheduled' | 'completed',
  count = 1,
): Promise<HistoryEvent[]> {
  return waitFor(`${count} ${activityType} ${state}`, handle, deadlineMs, async () => {
    const events = (await handle.fetchHistory()).events ?? [];
    const scheduled = new Map<string, string>();
    const matching: HistoryEvent[] = [];
    for (const event of events) {
      const attributes = event.activityTaskScheduledEventAttributes;
      if (attributes) {
        scheduled.set(String(event.eventId), attributes.activityType?.name ?? '');
        if (state === 'scheduled' && attributes.activityType?.name === activityType) matching.push(event);
      }
      const completed = event.activityTaskCompletedEventAttributes;
      if (state === 'completed' && completed && scheduled.get(String(completed.scheduledEventId)) === activityType) {
        matching.push(event);
      }
    }
    return matching.length >= count ? matching : undefined;
  });
}
