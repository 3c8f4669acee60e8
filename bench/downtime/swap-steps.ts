import type { temporal } from '@temporalio/proto';
import type { DrActivities } from '../../shared/activity-contract';

type History = temporal.api.history.v1.IHistory;
type Timestamp = NonNullable<temporal.api.history.v1.IHistoryEvent['eventTime']>;

/** The activities inside the downtime window, grouped as the README explains them. */
export const SWAP_STEPS = {
  stopApps: ['stopApps'],
  // swapDatabaseNames: both renames in one transaction (the swap today); the others: swaps before it.
  renameDatabases: ['swapDatabaseNames', 'terminateBackends', 'databaseExists', 'renameDatabase'],
  startAppsUntilHealthy: ['startApps', 'waitForHealth'],
} as const satisfies Record<string, readonly (keyof DrActivities)[]>;
export type SwapStep = keyof typeof SWAP_STEPS;

function milliseconds(time: Timestamp | null | undefined): number {
  const seconds = time?.seconds;
  const whole = typeof seconds === 'number' ? seconds : (seconds?.toNumber() ?? 0);
  return whole * 1000 + (time?.nanos ?? 0) / 1e6;
}

/** The `service` field of an activity's first argument (the default JSON payload converter's bytes). */
function serviceOf(attributes: temporal.api.history.v1.IActivityTaskScheduledEventAttributes): string {
  const data = attributes.input?.payloads?.[0]?.data;
  if (!data) return '';
  try {
    const input = JSON.parse(Buffer.from(data).toString('utf8')) as { service?: unknown };
    return typeof input.service === 'string' ? input.service : '';
  } catch {
    return '';
  }
}

function stepOf(activityType: string): SwapStep | undefined {
  return (Object.keys(SWAP_STEPS) as SwapStep[]).find((step) =>
    (SWAP_STEPS[step] as readonly string[]).includes(activityType),
  );
}

/** One activity's run in a history: scheduled to completed (retries included), with its input's service. */
interface ActivityRun {
  activityType: string;
  service: string;
  seconds: number;
}

function completedActivities(history: History): ActivityRun[] {
  const scheduled = new Map<string, { activityType: string; service: string; atMs: number }>();
  const runs: ActivityRun[] = [];
  for (const event of history.events ?? []) {
    const attributes = event.activityTaskScheduledEventAttributes;
    if (attributes) {
      scheduled.set(String(event.eventId), {
        activityType: attributes.activityType?.name ?? '',
        service: serviceOf(attributes),
        atMs: milliseconds(event.eventTime),
      });
    }
    const completed = event.activityTaskCompletedEventAttributes;
    const origin = completed && scheduled.get(String(completed.scheduledEventId));
    if (!origin) continue;
    runs.push({ ...origin, seconds: (milliseconds(event.eventTime) - origin.atMs) / 1000 });
  }
  return runs;
}

/** Per group: each service's summed seconds, then the slowest service's, since services run in parallel. */
function slowestServicePerGroup(runs: ActivityRun[], groupOf: (run: ActivityRun) => string | undefined) {
  const perService = new Map<string, { group: string; seconds: number }>();
  for (const run of runs) {
    const group = groupOf(run);
    if (group === undefined) continue;
    const key = `${group}:${run.service}`;
    perService.set(key, { group, seconds: (perService.get(key)?.seconds ?? 0) + run.seconds });
  }
  const result = new Map<string, number>();
  for (const { group, seconds } of perService.values()) result.set(group, Math.max(result.get(group) ?? 0, seconds));
  return result;
}

/**
 * Seconds each swap step took, from the workflow's own history: per service, the summed durations of the
 * step's activities (scheduled to completed), then the slowest service, since the services swap in parallel.
 */
export function swapStepSeconds(history: History): Record<SwapStep, number> {
  const steps = slowestServicePerGroup(completedActivities(history), (run) => stepOf(run.activityType));
  return {
    stopApps: steps.get('stopApps') ?? 0,
    renameDatabases: steps.get('renameDatabases') ?? 0,
    startAppsUntilHealthy: steps.get('startAppsUntilHealthy') ?? 0,
  };
}

/** Seconds per activity type (scheduled to completed, summed per service, the slowest service), largest first. */
export function activitySeconds(history: History): [activityType: string, seconds: number][] {
  const types = slowestServicePerGroup(completedActivities(history), (run) => run.activityType);
  return [...types.entries()].sort((a, b) => b[1] - a[1]);
}
