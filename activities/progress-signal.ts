import { log, type Context } from '@temporalio/activity';
import { RESTORE_PROGRESS_SIGNAL, type RestoreProgressUpdate } from '../shared/activity-contract';
import { errorMessage } from './errors';

/** One signal each time the restore crosses another tenth of the dump's bytes. */
const DEFAULT_MILESTONE_PERCENT = 10;

export interface ProgressSignaller {
  (update: RestoreProgressUpdate): void;
  /** Resolves when no signal is in flight (tests wait for it between simulated heartbeats). */
  settled(): Promise<void>;
}

/**
 * Tells the workflow that runs a restore about its progress at milestones only: the first bytes, every
 * `milestonePercent` of the dump, and the end. Each signal costs the workflow about four history events,
 * so a restore adds at most about 12 signals an attempt however long it runs; byte-level progress and ETA
 * between milestones live in the activity's heartbeat details, which `opareta-dr status` reads from the
 * server (`handle.describe()`). Best effort: a restore never fails because its progress could not be told.
 */
export function createProgressSignaller(
  context: Context,
  { milestonePercent = DEFAULT_MILESTONE_PERCENT }: { milestonePercent?: number } = {},
): ProgressSignaller {
  const execution = context.info.workflowExecution;
  let lastMilestone = -1;
  let inFlight: Promise<void> | undefined;
  let disabled = !execution;
  const milestoneOf = (update: RestoreProgressUpdate): number =>
    update.percent >= 100 || update.bytesDone >= update.bytesTotal
      ? Number.MAX_SAFE_INTEGER
      : Math.floor(update.percent / milestonePercent);

  const signaller = (update: RestoreProgressUpdate): void => {
    if (disabled || inFlight || update.bytesDone === 0) return;
    const milestone = milestoneOf(update);
    // A milestone missed while a signal was in flight is sent with the next heartbeat; none is sent twice.
    if (milestone <= lastMilestone) return;
    lastMilestone = milestone;
    let send: Promise<void>;
    try {
      send = context.client.workflow
        .getHandle(execution!.workflowId, execution!.runId)
        .signal(RESTORE_PROGRESS_SIGNAL, update);
    } catch (err) {
      // No client in this context (a test environment): heartbeats still carry the progress.
      disabled = true;
      log.debug('restore progress is not signalled', { error: errorMessage(err) });
      return;
    }
    inFlight = send
      .catch((err: unknown) => log.debug('restore progress signal failed', { error: errorMessage(err) }))
      .finally(() => (inFlight = undefined));
  };
  const settled = async (): Promise<void> => {
    await inFlight;
  };
  return Object.assign(signaller, { settled });
}
