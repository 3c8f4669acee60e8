import { Context } from '@temporalio/activity';

const INTERVAL_MS = 5_000;

/**
 * Runs work that reports progress now and then (per table, per index) but may sit in one long query for
 * minutes: heartbeats the last progress on a timer too, so the activity's heartbeat timeout can be short and a
 * lost worker is noticed in a minute, not at the end of a 30-minute start-to-close timeout.
 */
export async function whileHeartbeating<T, D>(work: (report: (details: D) => void) => Promise<T>): Promise<T> {
  const context = Context.current();
  let last: D | undefined;
  const beat = () => context.heartbeat(last);
  const timer = setInterval(beat, INTERVAL_MS);
  try {
    return await work((details) => {
      last = details;
      beat();
    });
  } finally {
    clearInterval(timer);
  }
}
