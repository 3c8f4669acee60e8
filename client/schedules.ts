import { ScheduleAlreadyRunning, ScheduleOverlapPolicy, type Client, type ScheduleOptions } from '@temporalio/client';
import { settings } from '../shared/node/settings';
import { NIGHTLY_DRILL_SCHEDULE_ID } from '../shared/workflow-types';
import { restoreDrill } from '../workflows';

export { NIGHTLY_DRILL_SCHEDULE_ID };

export interface DrillScheduleOptions {
  scheduleId?: string;
  /** Cron in the schedule's time zone; default 03:00, after the 02:00 backups of the runbook. */
  cron?: string;
  timezone?: string;
  services?: string[];
}

function scheduleOptions(options: DrillScheduleOptions): ScheduleOptions {
  const scheduleId = options.scheduleId ?? NIGHTLY_DRILL_SCHEDULE_ID;
  return {
    scheduleId,
    spec: { cronExpressions: [options.cron ?? '0 3 * * *'], timezone: options.timezone ?? 'UTC' },
    action: {
      type: 'startWorkflow',
      workflowType: restoreDrill,
      taskQueue: settings.taskQueue,
      args: [options.services ? { services: options.services } : {}],
      workflowId: `${scheduleId}-run`,
      staticSummary:
        'Nightly restore drill: every backup restored into a scratch database, checked against RTO and RPO',
    },
    // A drill still running when the next is due is not doubled up; a missed night is caught up once.
    policies: { overlap: ScheduleOverlapPolicy.SKIP, catchupWindow: '1 day' },
    memo: { description: 'Nightly restore drill of every backup against RTO and RPO' },
  };
}

/** Creates the schedule, or brings an existing one to the same spec: running it twice changes nothing. */
export async function createOrUpdateDrillSchedule(
  client: Client,
  options: DrillScheduleOptions = {},
): Promise<{ scheduleId: string; created: boolean }> {
  const desired = scheduleOptions(options);
  try {
    await client.schedule.create(desired);
    return { scheduleId: desired.scheduleId, created: true };
  } catch (err) {
    if (!(err instanceof ScheduleAlreadyRunning)) throw err;
  }
  await client.schedule.getHandle(desired.scheduleId).update((previous) => ({
    ...previous,
    spec: desired.spec,
    action: desired.action,
    policies: { ...previous.policies, ...desired.policies },
  }));
  return { scheduleId: desired.scheduleId, created: false };
}
