import type { ServiceDescription, ServiceHosts } from '../shared/activity-contract';
import { ErrorType } from '../shared/errors';
import { getService, serviceNames, type ServiceConfig, type Topology } from '../shared/node/topology';
import { failure } from './errors';

/** The service's config, or a non-retryable UnknownService naming the known ones. */
export function serviceConfig(topology: Topology, service: string): ServiceConfig {
  try {
    return getService(topology, service);
  } catch (err) {
    throw failure(ErrorType.UnknownService, (err as Error).message);
  }
}

export function describeService(topology: Topology, service: string): ServiceDescription {
  const config = serviceConfig(topology, service);
  return {
    service,
    database: config.database,
    databaseContainer: config.databaseContainer,
    user: config.user,
    appContainers: config.appContainers,
    healthUrls: config.healthUrls,
    rtoMinutes: topology.rtoMinutes,
    rpoHours: topology.rpoHours,
    sandbox: topology.sandbox,
    retention: topology.retention,
    standby: config.standby,
  };
}

export function listServices(topology: Topology): string[] {
  return serviceNames(topology);
}

export function serviceHosts(topology: Topology): ServiceHosts {
  const hosts: Record<string, string> = {};
  for (const [name, service] of Object.entries(topology.services)) {
    if (service.workerHost) hosts[name] = service.workerHost;
  }
  return { hosts, hostWaitMinutes: topology.hostWaitMinutes ?? topology.rtoMinutes / 3 };
}
