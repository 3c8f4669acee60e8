/**
 * Every activity a workflow calls, with the timeout and retry policy of its step declared here, each call sent
 * to the worker on its service's host (host-routing.ts). Activities raise bad-input and broken-backup failures
 * non-retryable themselves (shared/errors.ts).
 */
import { ActivityCancellationType, type RetryPolicy } from '@temporalio/workflow';
import { routedActivities } from './host-routing';

const quickRetry: RetryPolicy = {
  initialInterval: '1s',
  backoffCoefficient: 2,
  maximumInterval: '20s',
  maximumAttempts: 5,
};

/** Catalog, metadata and single SQL statements against PostgreSQL: seconds each. */
export const quick = routedActivities({ startToCloseTimeout: '2 minutes', retry: quickRetry });

/**
 * The backup listing an SRE waits for at the terminal (`opareta-dr backups list`): a directory read, seconds at
 * most, retried once; the client bounds the whole listing workflow too.
 */
export const catalogReads = routedActivities({
  startToCloseTimeout: '10 seconds',
  retry: { ...quickRetry, maximumAttempts: 2 },
});

/** Stopping and starting app containers: `docker stop` may wait for a slow SIGTERM. */
export const apps = routedActivities({ startToCloseTimeout: '3 minutes', retry: quickRetry });

/**
 * The swap, the swap-back and the app stops and starts around them must finish, not give up after a few
 * attempts: a PostgreSQL container that restarts mid-swap is waited for. Bounded by time so that a swap
 * that cannot finish is known well inside the RTO and handed to a human with the exact state.
 */
const untilDone: RetryPolicy = { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '10s' };

export const swapSteps = routedActivities({
  startToCloseTimeout: '1 minute',
  scheduleToCloseTimeout: '8 minutes',
  retry: untilDone,
});

export const swapApps = routedActivities({
  startToCloseTimeout: '3 minutes',
  scheduleToCloseTimeout: '8 minutes',
  retry: untilDone,
});

/** Reads the whole gzip stream of a backup, heartbeating every 16 MB read: a lost worker shows in minutes. */
export const backupCheck = routedActivities({
  startToCloseTimeout: '30 minutes',
  heartbeatTimeout: '2 minutes',
  retry: { ...quickRetry, maximumAttempts: 3 },
});

/**
 * The restore streams the whole dump: long, so it heartbeats its progress and a lost worker is noticed
 * within 30 seconds. The workflow waits for the cancellation to finish so the side database is dropped
 * after psql has stopped writing to it, not before.
 */
export const restore = routedActivities({
  startToCloseTimeout: '2 hours',
  heartbeatTimeout: '30 seconds',
  cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
  retry: { initialInterval: '5s', backoffCoefficient: 2, maximumInterval: '1 minute', maximumAttempts: 3 },
});

/**
 * Row counts of every table, service checks and amcheck on the restored database: long on a large database, so
 * it heartbeats (after each table and index, and every 5 s) and a lost worker is noticed within a minute.
 */
export const verification = routedActivities({
  startToCloseTimeout: '30 minutes',
  heartbeatTimeout: '1 minute',
  retry: { ...quickRetry, maximumAttempts: 3 },
});

/**
 * Health polling has its own deadline (timeoutSeconds); it heartbeats after every round of probes, so a lost
 * worker is noticed in 30 seconds and the poll goes on elsewhere rather than at the end of the whole timeout.
 */
export function healthWithin(timeoutSeconds: number) {
  return routedActivities({
    startToCloseTimeout: `${timeoutSeconds + 60} seconds`,
    heartbeatTimeout: '30 seconds',
    retry: { ...quickRetry, maximumAttempts: 2 },
  });
}

/** A notification that cannot be delivered must not stop a restore: few attempts, errors swallowed. */
export const notifications = routedActivities({
  startToCloseTimeout: '30 seconds',
  retry: { ...quickRetry, maximumAttempts: 3 },
});

/** Reads for the result only (container states): never worth holding up a finished restore. */
export const courtesy = routedActivities({
  startToCloseTimeout: '30 seconds',
  retry: { ...quickRetry, maximumAttempts: 2 },
});

/**
 * Reads of the live database for the plan and the swap preview: the worker counts rows exactly only within a
 * budget and estimates the rest, heartbeating after each table and every few seconds, so a lost worker shows in
 * 30 seconds. Schedule-to-close, not an attempt count, bounds the retries: a third of a 30-minute RTO at most.
 */
export const liveReads = routedActivities({
  startToCloseTimeout: '5 minutes',
  heartbeatTimeout: '30 seconds',
  scheduleToCloseTimeout: '10 minutes',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '20s' },
});
