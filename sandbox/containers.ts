import { createServer } from 'node:net';
import type Docker from 'dockerode';
import { docker, isNotFound } from './docker-client';
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
    const imageId = (await docker().getImage(String(spec.options.Image)).inspect()).Id;
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
    await docker().getContainer(spec.name).start();
  } catch (err) {
    if ((err as { statusCode?: number }).statusCode === 304) return;
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

export async function inspectOrUndefined(name: string): Promise<Docker.ContainerInspectInfo | undefined> {
  try {
    return await docker().getContainer(name).inspect();
  } catch (err) {
    if (isNotFound(err)) return undefined;
    throw err;
  }
}

/** Stops (fast: the images honour SIGTERM/SIGINT) and removes a container; absent is fine. */
export async function removeContainer(name: string): Promise<boolean> {
  const existing = await inspectOrUndefined(name);
  if (!existing) return false;
  if (!existing.Config.Labels?.[SANDBOX_LABEL]) {
    throw new Error(`refusing to remove ${name}: it is not part of the sandbox`);
  }
  const container = docker().getContainer(name);
  if (existing.State.Running) {
    await container.stop({ t: 10 }).catch((err: { statusCode?: number }) => {
      if (err.statusCode !== 304) throw err;
    });
  }
  await container.remove({ force: true });
  return true;
}

export async function ensureNetwork(name: string): Promise<void> {
  const networks = await docker().listNetworks({ filters: { name: [name] } });
  if (networks.some((n) => n.Name === name)) return;
  await docker().createNetwork({ Name: name, Driver: 'bridge', Labels: { [SANDBOX_LABEL]: name } });
}

/** Waits until Docker's healthcheck reports healthy; a container that exits fails at once with its last logs. */
export async function waitHealthy(name: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const info = await docker().getContainer(name).inspect();
    if (!info.State.Running) {
      throw new Error(`${name} is not running (${info.State.Status}):\n${await lastLogs(name)}`);
    }
    if (info.State.Health?.Status === 'healthy') return;
    if (Date.now() > deadline) {
      throw new Error(`${name} was not healthy within ${timeoutMs / 1000} s:\n${await lastLogs(name)}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

async function lastLogs(name: string): Promise<string> {
  const logs = await docker().getContainer(name).logs({ stdout: true, stderr: true, tail: 20 });
  // Docker frames each line with an 8-byte header when there is no TTY.
  return Buffer.from(logs)
    .toString('utf8')
    .replace(/[\x00-\x08]/g, '') // eslint-disable-line no-control-regex
    .trim();
}
