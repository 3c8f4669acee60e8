import * as docker from '../../shared/node/docker';
import { waitHealthy } from '../../sandbox/containers';
import { waitForHealthUrl } from '../../sandbox';
import type { ServiceConfig } from '../../shared/node/topology';

/** Docker faults and their repair, on the chaos containers only (the names come from the chaos topology). */
function assertChaos(name: string): void {
  if (!name.startsWith('opareta-chaos-')) throw new Error(`refusing to touch ${name}: not a chaos container`);
}

/** `docker kill`: SIGKILL to PostgreSQL, no shutdown checkpoint, every connection lost. */
export async function killContainer(name: string): Promise<void> {
  assertChaos(name);
  await docker.killContainer(name);
}

export async function startContainer(name: string): Promise<void> {
  assertChaos(name);
  await docker.startContainer(name);
}

/** Whatever a run did to a service's containers, undone: unpaused, running, database healthy. */
export async function repairContainers(service: ServiceConfig): Promise<void> {
  for (const name of [service.databaseContainer, ...service.appContainers]) {
    assertChaos(name);
    const info = await docker.inspectOrUndefined(name);
    if (!info) throw new Error(`${name} is missing`);
    if (info.State.Paused) await docker.unpauseContainer(name);
    else if (!info.State.Running) await startContainer(name);
  }
  await waitHealthy(service.databaseContainer, 120_000);
}

/** The containers repaired and the apps answering 200. */
export async function repairService(service: ServiceConfig): Promise<void> {
  await repairContainers(service);
  await Promise.all(service.healthUrls.map((url) => waitForHealthUrl(url, 90_000)));
}
