import { createServer } from 'node:net';
import {
  containerLogs,
  docker,
  inspectImageOrUndefined,
  inspectOrUndefined,
  startContainer,
  stopContainer,
  waitUntilReady,
} from '../shared/node/docker';
import { SANDBOX_LABEL, SPEC_LABEL, type ContainerSpec } from './spec';

export type EnsureOutcome = 'created' | 'started' | 'running' | 'recreated';

/**
 * Makes one container match its spec and run: reuse it when running with the same spec and image, start
 * it when stopped, recreate it (volumes stay) when its spec or image changed, create it when missing.
 */
export async function ensureContainer(spec: ContainerSpec): Promise<EnsureOutcome> {
  const existing = await inspectOrUndefined(spec.name);
  let outcome: EnsureOutcome = 'created';
  if (existing) {
    const labels = existing.Config.Labels ?? {};
    if (!labels[SANDBOX_LABEL]) {
      throw new Error(`a container named ${spec.name} exists and is not part of the sandbox; remove or rename it`);
    }
    const imageId = (await inspectImageOrUndefined(String(spec.options.Image)))?.Id;
    const current = labels[SPEC_LABEL] === spec.options.Labels?.[SPEC_LABEL] && existing.Image === imageId;
    if (current && existing.State.Running) return 'running';
    if (current) {
      await startOnFreePorts(spec);
      return 'started';
    }
    await docker().getContainer(spec.name).remove({ force: true });
    outcome = 'recreated';
  }
  await assertPortsFree(spec);
  await docker().createContainer(spec.options);
  await startOnFreePorts(spec);
  return outcome;
}

async function startOnFreePorts(spec: ContainerSpec): Promise<void> {
  await assertPortsFree(spec);
  try {
    await startContainer(spec.name);
  } catch (err) {
    const message = (err as Error).message;
    if (/port is already allocated|address already in use/i.test(message)) {
      throw new Error(`port ${spec.hostPorts.join(', ')} for ${spec.name} is held by something else: ${message}`);
    }
    throw err;
  }
}

/** A clear error naming the port beats Docker's "driver failed programming external connectivity". */
async function assertPortsFree(spec: ContainerSpec): Promise<void> {
  for (const port of spec.hostPorts) {
    if (!(await portIsFree(port))) {
      throw new Error(
        `port ${port} on 127.0.0.1 (wanted by ${spec.name}) is held by another process; ` +
          `free it or change the port in the sandbox config`,
      );
    }
  }
}

export function portIsFree(port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = createServer();
    probe.once('error', () => resolve(false));
    probe.listen(port, host, () => probe.close(() => resolve(true)));
  });
}

/** Stops (fast: the images honour SIGTERM/SIGINT) and removes a container; absent is fine. */
export async function removeContainer(name: string): Promise<boolean> {
  const existing = await inspectOrUndefined(name);
  if (!existing) return false;
  if (!existing.Config.Labels?.[SANDBOX_LABEL]) {
    throw new Error(`refusing to remove ${name}: it is not part of the sandbox`);
  }
  if (existing.State.Running) await stopContainer(name, 10);
  await docker().getContainer(name).remove({ force: true });
  return true;
}

export async function ensureNetwork(name: string): Promise<void> {
  const networks = await docker().listNetworks({ filters: { name: [name] } });
  if (networks.some((n) => n.Name === name)) return;
  await docker().createNetwork({ Name: name, Driver: 'bridge', Labels: { [SANDBOX_LABEL]: name } });
}

/** Waits until the container runs and is healthy; one that stops or stays unhealthy fails with its last logs. */
export async function waitHealthy(name: string, timeoutMs: number): Promise<void> {
  try {
    await waitUntilReady(name, timeoutMs);
  } catch (err) {
    const logs = await containerLogs(name, { tail: 20 }).catch((error: Error) => `(no logs: ${error.message})`);
    throw new Error(`${(err as Error).message}:\n${logs.trim()}`, { cause: err });
  }
}
