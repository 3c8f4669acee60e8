import { randomUUID } from 'node:crypto';
import {
  ApplicationFailure,
  TimeoutFailure,
  WorkflowFailedError,
  type Client,
  type WorkflowHandle,
} from '@temporalio/client';
import { ErrorType } from '../shared/errors';
import { settings } from '../shared/node/settings';
import { listBackupCatalogsInputSchema, type ServiceBackupCatalog } from '../shared/workflow-types';
import { listBackupCatalogs } from '../workflows';
import { checkWorkflowInput } from './arguments';
import { CliError, ExitCode } from './output';

/** Long enough for a worker to pick the listing up and read a directory; short enough to wait for at a prompt. */
export const DEFAULT_LISTING_TIMEOUT_SECONDS = 30;

/** Failures of the listing that mean the request was wrong, not the worker: exit 2 like any bad input. */
const BAD_REQUEST: readonly string[] = [ErrorType.UnknownService, ErrorType.InvalidInput];

/**
 * The backups live on the worker's disk, not on the machine the CLI runs on: asks the worker on the task
 * queue through a short workflow, so the CLI works from anywhere that reaches the Temporal server.
 */
export async function fetchBackupCatalogs(
  client: Client,
  service: string | undefined,
  timeoutSeconds = DEFAULT_LISTING_TIMEOUT_SECONDS,
): Promise<ServiceBackupCatalog[]> {
  const input = checkWorkflowInput(listBackupCatalogs.name, listBackupCatalogsInputSchema, service ? { service } : {});
  const handle = await client.workflow.start(listBackupCatalogs, {
    taskQueue: settings.taskQueue,
    workflowId: `backups-list-${randomUUID()}`,
    args: [input],
    // A listing nobody answers in time is worth nothing later: the server ends it and the CLI says why.
    workflowExecutionTimeout: `${timeoutSeconds}s`,
  });
  try {
    return await handle.result();
  } catch (err) {
    if (!(err instanceof WorkflowFailedError)) throw err;
    if (err.cause instanceof TimeoutFailure) throw await explainTimeout(handle, timeoutSeconds);
    const refusal = badRequestIn(err);
    if (refusal) throw new CliError(refusal.message, ExitCode.usage);
    throw err;
  }
}

/**
 * The services must be the worker's (its topology, not this machine's config), so `restore nosuch` fails here
 * with exit 2 and the known ones named, instead of starting a workflow that fails later.
 */
export async function assertKnownServices(client: Client, services: readonly string[]): Promise<void> {
  for (const service of new Set(services)) await fetchBackupCatalogs(client, service);
}

/** No workflow task ever started means no worker polls the queue; otherwise the worker was too slow. */
async function explainTimeout(handle: WorkflowHandle, timeoutSeconds: number): Promise<CliError> {
  const history = await handle.fetchHistory();
  const pickedUp = history.events?.some((event) => event.workflowTaskStartedEventAttributes);
  const message = pickedUp
    ? `the worker on task queue ${settings.taskQueue} did not list the backups within ${timeoutSeconds} s`
    : `no worker polled task queue ${settings.taskQueue} within ${timeoutSeconds} s: ` +
      'start one (npm run worker) where the backups are, with the same OPARETA_TASK_QUEUE';
  return new CliError(message, ExitCode.unavailable);
}

function badRequestIn(err: Error): ApplicationFailure | undefined {
  for (let cause = err.cause; cause instanceof Error; cause = cause.cause) {
    if (cause instanceof ApplicationFailure && BAD_REQUEST.includes(cause.type ?? '')) return cause;
  }
  return undefined;
}
