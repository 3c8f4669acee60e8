import type { temporal } from '@temporalio/proto';

type History = temporal.api.history.v1.IHistory;
type Timestamp = NonNullable<temporal.api.history.v1.IHistoryEvent['eventTime']>;

/** The activities inside the downtime window, grouped as the README explains them. */
export const SWAP_STEPS = {
  stopApps: ['stopApps'],
  renameDatabases: ['terminateBackends', 'databaseExists', 'renameDatabase'],
  startAppsUntilHealthy: ['startApps', 'waitForHealth'],
} as const;
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

/**
 * Seconds each swap step took, from the workflow's own history: per service, the summed durations of the
 * step's activities (scheduled to completed), then the slowest service, since the services swap in parallel.
 */
export function swapStepSeconds(history: History): Record<SwapStep, number> {
  const scheduled = new Map<string, { step: SwapStep; service: string; atMs: number }>();
  const perService = new Map<string, { step: SwapStep; seconds: number }>();
  for (const event of history.events ?? []) {
    const attributes = event.activityTaskScheduledEventAttributes;
    const step = attributes && stepOf(attributes.activityType?.name ?? '');
    if (attributes && step) {
      scheduled.set(String(event.eventId), {
        step,
        service: serviceOf(attributes),
        atMs: milliseconds(event.eventTime),
      });
    }
    const completed = event.activityTaskCompletedEventAttributes;
    const origin = completed && scheduled.get(String(completed.scheduledEventId));
    if (!origin) continue;
    const key = `${origin.step}:${origin.service}`;
    const seconds = (milliseconds(event.eventTime) - origin.atMs) / 1000;
    perService.set(key, { step: origin.step, seconds: (perService.get(key)?.seconds ?? 0) + seconds });
  }
  const result: Record<SwapStep, number> = { stopApps: 0, renameDatabases: 0, startAppsUntilHealthy: 0 };
  for (const { step, seconds } of perService.values()) result[step] = Math.max(result[step], seconds);
  return result;
}
