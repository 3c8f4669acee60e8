import type { Client } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { serviceNames, type Topology } from '../shared/node/topology';

/** A worker a task queue has seen polling, as the server reports it. */
export interface SeenWorker {
  identity: string;
  lastSeenSecondsAgo?: number;
}

/** One queue of the topology: the orchestration queue, or the queue of one host. */
export interface HostQueue {
  /** undefined: the orchestration queue (workflows, run-anywhere steps, the services that name no host). */
  host?: string;
  taskQueue: string;
  services: string[];
  workers: SeenWorker[];
}

/** A poll lasts up to a minute: a worker seen longer ago than this has stopped polling. */
export const POLLING_WINDOW_SECONDS = 120;

/** Every queue the topology's workers should poll, each with the workers the server has seen on it. */
export async function describeHostQueues(client: Client, topology: Topology, taskQueue: string): Promise<HostQueue[]> {
  const hosts = new Map<string | undefined, string[]>([[undefined, []]]);
  for (const service of serviceNames(topology)) {
    const host = topology.services[service].workerHost;
    hosts.set(host, [...(hosts.get(host) ?? []), service]);
  }
  return Promise.all(
    [...hosts].map(async ([host, services]) => {
      const queue = host ? `${taskQueue}@${host}` : taskQueue;
      return { host, taskQueue: queue, services, workers: await activityPollers(client, queue) };
    }),
  );
}

/** Activity pollers: every worker polls activities on each queue it serves (the orchestration queue too). */
async function activityPollers(client: Client, taskQueue: string): Promise<SeenWorker[]> {
  const response = await client.workflowService.describeTaskQueue({
    namespace: client.options.namespace,
    taskQueue: { name: taskQueue, kind: temporal.api.enums.v1.TaskQueueKind.TASK_QUEUE_KIND_NORMAL },
    taskQueueType: temporal.api.enums.v1.TaskQueueType.TASK_QUEUE_TYPE_ACTIVITY,
  });
  const now = Date.now();
  return (response.pollers ?? []).map((poller) => {
    const seconds = poller.lastAccessTime?.seconds;
    const lastSeenMs = seconds === undefined || seconds === null ? undefined : Number(seconds) * 1000;
    return {
      identity: poller.identity ?? 'unknown',
      lastSeenSecondsAgo: lastSeenMs === undefined ? undefined : Math.max(0, Math.round((now - lastSeenMs) / 1000)),
    };
  });
}

export function isPolling(worker: SeenWorker): boolean {
  return worker.lastSeenSecondsAgo !== undefined && worker.lastSeenSecondsAgo <= POLLING_WINDOW_SECONDS;
}
