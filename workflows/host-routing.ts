/**
 * Sends each activity to the worker on its service's host. A workflow runs on the orchestration queue
 * (`opareta-dr`) on any worker; an activity that reads a host's backups, talks to its Docker engine or its
 * database goes to `opareta-dr@<host>`, which only that host's worker polls. Services with no host, and the
 * activities any worker can run (RUN_ANYWHERE_ACTIVITIES), stay on the workflow's own queue, as before hosts.
 *
 * A host whose worker is down leaves its activities waiting in their queue: each attempt may wait
 * HOST_NOTICE for a worker to pick it up, then the workflow says "waiting for a worker on host db-b" in its
 * progress and schedules it again, until the topology's hostWaitMinutes have passed: then the step fails
 * with that reason. The other services go on meanwhile; a full-system restore waits for them all before its
 * all-or-nothing swap anyway.
 *
 * The routes are module state: the SDK gives every workflow execution its own module instances.
 */
import {
  ActivityFailure,
  ApplicationFailure,
  TimeoutFailure,
  patched,
  proxyActivities,
  workflowInfo,
  type ActivityOptions,
} from '@temporalio/workflow';
import { RUN_ANYWHERE_ACTIVITIES, type DrActivities, type ServiceHosts } from '../shared/activity-contract';
import { ErrorType } from '../shared/errors';

export const HOST_QUEUES_PATCH = 'host-queues';

/** How long one attempt waits in a host's queue before the workflow reports the host as waited for. */
const HOST_NOTICE = '20 seconds';

let routes: ServiceHosts = { hosts: {}, hostWaitMinutes: 10 };
let waitListener: HostWaitListener | undefined;
/** Hosts whose worker did not come within hostWaitMinutes in this execution. */
const givenUp = new Set<string>();

/** Told when a service's step starts or stops waiting for a worker on its host. */
export type HostWaitListener = (service: string, host: string, waiting: boolean) => void;

export function onHostWait(listener: HostWaitListener): void {
  waitListener = listener;
}

/** The task queue of a host's worker: the workflow's own queue name with `@<host>`. */
export function hostTaskQueue(host: string): string {
  return `${workflowInfo().taskQueue}@${host}`;
}

/**
 * Learns where each service runs, once, at the start of a workflow that touches services. Executions from
 * before hosts (their histories have no marker here) keep every activity on the workflow's queue.
 */
export async function loadServiceHosts(): Promise<void> {
  if (!patched(HOST_QUEUES_PATCH)) return;
  const anywhere = proxyActivities<DrActivities>({ startToCloseTimeout: '30 seconds', retry: { maximumAttempts: 5 } });
  routes = await anywhere.serviceHosts();
}

const runAnywhere = new Set<string>(RUN_ANYWHERE_ACTIVITIES);

/** proxyActivities with each call sent to the host of the service named in its input. */
export function routedActivities(options: ActivityOptions): DrActivities {
  const local = proxyActivities<Record<string, (...args: unknown[]) => Promise<unknown>>>(options);
  return new Proxy({} as DrActivities, {
    get(_target, name) {
      if (typeof name !== 'string') return undefined;
      return (...args: unknown[]) => {
        const service = (args[0] as { service?: unknown } | undefined)?.service;
        const host = typeof service === 'string' && !runAnywhere.has(name) ? routes.hosts[service] : undefined;
        if (!host) return local[name](...args);
        return callOnHost(options, { name, args, service: service as string, host });
      };
    },
  });
}

interface HostCall {
  name: string;
  args: unknown[];
  service: string;
  host: string;
}

async function callOnHost(options: ActivityOptions, call: HostCall): Promise<unknown> {
  const onHost = proxyActivities<Record<string, (...args: unknown[]) => Promise<unknown>>>({
    ...options,
    taskQueue: hostTaskQueue(call.host),
    scheduleToStartTimeout: HOST_NOTICE,
  });
  // A host already given up on gets one notice period, not the whole wait again: the steps that follow
  // (compensations, reads for the report) would otherwise hold a failed restore for minutes each.
  const waitMs = givenUp.has(call.host) ? 0 : routes.hostWaitMinutes * 60_000;
  const giveUpAt = Date.now() + waitMs;
  let waiting = false;
  try {
    for (;;) {
      try {
        const result = await onHost[call.name](...call.args);
        givenUp.delete(call.host);
        return result;
      } catch (err) {
        if (!noWorkerPickedUp(err)) throw err;
        if (Date.now() >= giveUpAt) {
          givenUp.add(call.host);
          throw noWorkerOnHost(call, routes.hostWaitMinutes);
        }
        if (!waiting) waitListener?.(call.service, call.host, true);
        waiting = true;
      }
    }
  } finally {
    if (waiting) waitListener?.(call.service, call.host, false);
  }
}

/** An attempt that no worker picked up in time: the host's worker is down (or every slot of it is busy). */
function noWorkerPickedUp(err: unknown): boolean {
  return (
    err instanceof ActivityFailure &&
    err.cause instanceof TimeoutFailure &&
    err.cause.timeoutType === 'SCHEDULE_TO_START'
  );
}

function noWorkerOnHost(call: HostCall, minutes: number): ApplicationFailure {
  return ApplicationFailure.create({
    type: ErrorType.HostWorkerMissing,
    nonRetryable: true,
    message:
      `no worker on host ${call.host} picked up ${call.name} for ${call.service} in ${minutes} min: ` +
      `start one there (npm start -- --host ${call.host}); \`opareta-dr hosts\` lists the workers each host has`,
  });
}
