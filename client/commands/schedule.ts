import type { Command } from 'commander';
import { action } from '../action';
import { emit, table, type OutputOptions } from '../output';
import { createOrUpdateDrillSchedule, NIGHTLY_DRILL_SCHEDULE_ID } from '../schedules';
import { withClient } from '../temporal';

export function registerScheduleCommands(program: Command): void {
  const schedule = program.command('schedule').description('the nightly restore drill schedule');

  for (const verb of ['create', 'update'] as const) {
    schedule
      .command(verb)
      .description(`${verb} the nightly drill schedule (idempotent: both create or update)`)
      .option('--id <schedule-id>', 'schedule ID', NIGHTLY_DRILL_SCHEDULE_ID)
      .option('--cron <expr>', 'when, as cron', '0 3 * * *')
      .option('--timezone <tz>', 'IANA time zone of the cron', 'UTC')
      .option('--service <names...>', 'drill only these services')
      .option('--json', 'machine-readable output')
      .action(
        action(async (o: { id: string; cron: string; timezone: string; service?: string[] } & OutputOptions) => {
          const result = await withClient((client) =>
            createOrUpdateDrillSchedule(client, {
              scheduleId: o.id,
              cron: o.cron,
              timezone: o.timezone,
              services: o.service,
            }),
          );
          emit(
            o,
            result,
            () => `${result.created ? 'created' : 'updated'} schedule ${result.scheduleId} (${o.cron} ${o.timezone})`,
          );
        }),
      );
  }

  const simple: [string, string, (handle: ScheduleHandleLike) => Promise<void>][] = [
    ['pause', 'pause the schedule', (h) => h.pause('paused from opareta-dr')],
    ['unpause', 'resume the schedule', (h) => h.unpause('unpaused from opareta-dr')],
    ['trigger', 'run a drill now', (h) => h.trigger()],
    ['delete', 'delete the schedule', (h) => h.delete()],
  ];
  for (const [verb, description, run] of simple) {
    schedule
      .command(verb)
      .description(description)
      .option('--id <schedule-id>', 'schedule ID', NIGHTLY_DRILL_SCHEDULE_ID)
      .option('--json', 'machine-readable output')
      .action(
        action(async (o: { id: string } & OutputOptions) => {
          await withClient((client) => run(client.schedule.getHandle(o.id)));
          emit(o, { scheduleId: o.id, done: verb }, () => `${verb}: ${o.id}`);
        }),
      );
  }

  schedule
    .command('list')
    .description('list schedules with their next run')
    .option('--json', 'machine-readable output')
    .action(
      action(async (o: OutputOptions) => {
        const rows = await withClient(async (client) => {
          const found = [];
          for await (const s of client.schedule.list()) {
            found.push({
              id: s.scheduleId,
              workflow: s.action?.type === 'startWorkflow' ? s.action.workflowType : '',
              paused: s.state.paused,
              next: s.info.nextActionTimes[0]?.toISOString(),
            });
          }
          return found;
        });
        emit(o, rows, () => (rows.length ? table(rows, ['id', 'workflow', 'paused', 'next']) : 'no schedules'));
      }),
    );
}

interface ScheduleHandleLike {
  pause(note?: string): Promise<void>;
  unpause(note?: string): Promise<void>;
  trigger(): Promise<void>;
  delete(): Promise<void>;
}
