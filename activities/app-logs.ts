import type { LogReview } from '../shared/activity-contract';
import type { ContainerClient } from './docker';

/** What the runbook's "Review Logs" step looks for: an app that cannot reach or use its database. */
const DATABASE_CONNECTION_ERROR =
  /ECONNREFUSED|ECONNRESET|connection (refused|terminated|reset|timed out)|could not connect|terminating connection|server closed the connection|database "[^"]*" does not exist|password authentication failed|too many clients|the database system is (starting up|shutting down|in recovery mode)|Connection terminated unexpectedly/i;

export function isDatabaseConnectionError(line: string): boolean {
  return DATABASE_CONNECTION_ERROR.test(line);
}

export async function reviewLogs(containers: ContainerClient, names: string[], since: Date): Promise<LogReview[]> {
  const reviews: LogReview[] = [];
  for (const container of names) {
    const lines = await containers.logsSince(container, since);
    const errorLines = lines.filter(isDatabaseConnectionError).slice(-50);
    reviews.push({ container, linesRead: lines.length, errorLines });
  }
  return reviews;
}
