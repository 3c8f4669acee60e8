import { Context } from '@temporalio/activity';
import type { ContainerState } from '../shared/activity-contract';
import type { ServiceConfig } from '../shared/node/topology';
import type { ContainerClient } from './docker';

/** App containers by name or compose service label, in config order. */
async function appContainerNames(containers: ContainerClient, config: ServiceConfig): Promise<string[]> {
  const names = await Promise.all(config.appContainers.map((name) => containers.resolve(name)));
  return names.flat();
}

export async function stopAppContainers(containers: ContainerClient, config: ServiceConfig): Promise<ContainerState[]> {
  const names = await appContainerNames(containers, config);
  await Promise.all(names.map((name) => containers.stop(name)));
  return Promise.all(names.map((name) => containers.state(name)));
}

/**
 * Starts the apps and waits until each runs and, where it has a healthcheck, has a verdict. An app that runs
 * but is unhealthy is returned as such, not thrown: after a swap that is the health check's to judge (and swap
 * back within its timeout), where a failed, retried start would hold the swap for minutes.
 */
export async function startAppContainers(
  containers: ContainerClient,
  config: ServiceConfig,
  readyTimeoutMs: number,
): Promise<ContainerState[]> {
  const names = await appContainerNames(containers, config);
  for (const name of names) await containers.start(name);
  const heartbeat = (state: ContainerState) => Context.current().heartbeat(state);
  return Promise.all(
    names.map((name) => containers.waitUntilReady(name, readyTimeoutMs, heartbeat, { untilVerdict: true })),
  );
}

/** What `docker compose ps` shows for the service: its database container, then its apps. */
export async function serviceContainerStates(
  containers: ContainerClient,
  config: ServiceConfig,
): Promise<ContainerState[]> {
  const apps = await Promise.all(config.appContainers.map((name) => containers.resolve(name).catch(() => [name])));
  return Promise.all([config.databaseContainer, ...apps.flat()].map((name) => containers.state(name)));
}

export async function appContainerNamesForLogs(containers: ContainerClient, config: ServiceConfig): Promise<string[]> {
  return appContainerNames(containers, config);
}
