import { RUN_ANYWHERE_ACTIVITIES, type DrActivities } from '../shared/activity-contract';
import { ConfigError, restrictTopology, serviceNames, servicesOnHost, type Topology } from '../shared/node/topology';

/** One task queue a worker process polls, with what it runs there. */
export interface QueuePlan {
  taskQueue: string;
  /** The orchestration queue runs the workflows too. */
  workflows: boolean;
  activities: Partial<DrActivities>;
  /** The services whose host-bound steps this queue runs (none: only the run-anywhere activities). */
  services: string[];
}

type ActivityFactory = (topology: Topology) => DrActivities;

const runAnywhere = new Set<string>(RUN_ANYWHERE_ACTIVITIES);

function pick(activities: DrActivities, keep: (name: string) => boolean): Partial<DrActivities> {
  return Object.fromEntries(Object.entries(activities).filter(([name]) => keep(name))) as Partial<DrActivities>;
}

/**
 * What a worker started with `--host <host>` (or without) registers where. Every worker polls the orchestration
 * queue with the workflows and the run-anywhere activities, built from the whole topology. The host-bound
 * activities are built from the topology of the host's services only, so a misrouted step fails with
 * UnknownService instead of touching another host's containers:
 * - no host: on the orchestration queue, for the services that name no host (all of them by default);
 * - `--host db-a`: on `<queue>@db-a`, for the services whose workerHost is db-a.
 */
export function planQueues(
  topology: Topology,
  orchestrationQueue: string,
  host: string | undefined,
  createActivities: ActivityFactory,
): QueuePlan[] {
  const anywhere = pick(createActivities(topology), (name) => runAnywhere.has(name));
  const services = servicesOnHost(topology, host);
  const hostBound = () =>
    pick(createActivities(restrictTopology(topology, services)), (name) => !runAnywhere.has(name));
  if (!host) {
    const activities = services.length > 0 ? { ...hostBound(), ...anywhere } : anywhere;
    return [{ taskQueue: orchestrationQueue, workflows: true, activities, services }];
  }
  if (services.length === 0) {
    const hosts = [...new Set(serviceNames(topology).flatMap((name) => topology.services[name].workerHost ?? []))];
    throw new ConfigError(
      `no service of ${topology.name} runs on host "${host}" (workerHost); hosts in the config: ${hosts.join(', ') || 'none'}`,
    );
  }
  return [
    { taskQueue: orchestrationQueue, workflows: true, activities: anywhere, services: [] },
    { taskQueue: `${orchestrationQueue}@${host}`, workflows: false, activities: hostBound(), services },
  ];
}
