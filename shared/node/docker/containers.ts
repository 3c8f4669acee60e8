import type Docker from 'dockerode';
import type { ContainerState } from '../../activity-contract';
import { docker, dockerCall, dockerStatus, NoSuchContainerError, unlessMissing } from './client';

const COMPOSE_SERVICE_LABEL = 'com.docker.compose.service';

export const inspectContainer = (name: string): Promise<Docker.ContainerInspectInfo> =>
  dockerCall(`docker inspect ${name}`, () => docker().getContainer(name).inspect());

export const inspectOrUndefined = (name: string): Promise<Docker.ContainerInspectInfo | undefined> =>
  unlessMissing(`docker inspect ${name}`, () => docker().getContainer(name).inspect());

export const inspectImageOrUndefined = (tag: string): Promise<Docker.ImageInspectInfo | undefined> =>
  unlessMissing(`docker image inspect ${tag}`, () => docker().getImage(tag).inspect());

/** Like `docker compose ps` for one container; state `missing` when there is none. */
export async function containerState(name: string): Promise<ContainerState> {
  // The list has the human status ("Up 3 minutes (healthy)"); inspect has the health verdict.
  const listed = await docker().listContainers({ all: true, filters: { name: [name] } });
  const container = listed.find((c) => c.Names.includes(`/${name}`));
  if (!container) return { name, state: 'missing', status: 'no such container' };
  const info = await inspectOrUndefined(name).catch(() => undefined);
  return { name, state: container.State, status: container.Status, health: info?.State.Health?.Status };
}

/** Names of the containers a name or a compose service label (com.docker.compose.service) designates. */
export async function resolveContainers(nameOrService: string): Promise<string[]> {
  const byName = await docker().listContainers({ all: true, filters: { name: [nameOrService] } });
  if (byName.some((c) => c.Names.includes(`/${nameOrService}`))) return [nameOrService];
  const byLabel = await docker().listContainers({
    all: true,
    filters: { label: [`${COMPOSE_SERVICE_LABEL}=${nameOrService}`] },
  });
  if (byLabel.length === 0) throw new NoSuchContainerError(nameOrService);
  return byLabel.map((c) => c.Names[0].replace(/^\//, '')).sort();
}

/** Runs a lifecycle call; a status in `alreadySo` means the container is in that state already. */
async function lifecycle(name: string, verb: string, call: () => Promise<unknown>, alreadySo = [304]): Promise<void> {
  await dockerCall(`docker ${verb} ${name}`, call).catch((err: unknown) => {
    if (!alreadySo.includes(dockerStatus(err) ?? 0)) throw err;
  });
}

/** Idempotent: an already running container is success. */
export const startContainer = (name: string) => lifecycle(name, 'start', () => docker().getContainer(name).start());

/** Idempotent: an already stopped container is success. */
export const stopContainer = (name: string, timeoutSeconds = 10) =>
  lifecycle(name, 'stop', () => docker().getContainer(name).stop({ t: timeoutSeconds }));

export const restartContainer = (name: string) =>
  lifecycle(name, 'restart', () => docker().getContainer(name).restart());

/** SIGKILL, no shutdown. Idempotent: Docker answers 409 for a container that does not run. */
export const killContainer = (name: string) =>
  lifecycle(name, 'kill', () => docker().getContainer(name).kill(), [304, 409]);

export const unpauseContainer = (name: string) =>
  lifecycle(name, 'unpause', () => docker().getContainer(name).unpause(), [304, 409]);
