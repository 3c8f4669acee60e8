import { log, type Context } from '@temporalio/activity';
import { RESTORE_PROGRESS_SIGNAL, type RestoreProgressUpdate } from '../shared/activity-contract';
import { errorMessage } from './errors';

const SIGNAL_INTERVAL_MS = 5_000;

/**
 * Sends a restore's progress to the workflow that runs it, at most every 5 s and one at a time, so the
 * workflow's `progress` query can show bytes and ETA (heartbeats reach only the server, not the workflow).
 * Best effort: a restore never fails because its progress could not be reported.
 */
export function createProgressSignaller(context: Context): (update: RestoreProgressUpdate) => void {
  const execution = context.info.workflowExecution;
  let lastSentAt = 0;
  let inFlight = false;
  let disabled = !execution;
  return (update) => {
    const now = Date.now();
    // Nothing to tell before the first bytes; then at once, then every few seconds.
    if (disabled || inFlight || update.bytesDone === 0 || now - lastSentAt < SIGNAL_INTERVAL_MS) return;
    lastSentAt = now;
    inFlight = true;
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
    send
      .catch((err: unknown) => log.debug('restore progress signal failed', { error: errorMessage(err) }))
      .finally(() => (inFlight = false));
  };
}
