import Dockerode from 'dockerode';
import type { ContainerState } from '../shared/activity-contract';
import { ErrorType } from '../shared/errors';
import { startExec, type ExecOptions, type ExecResult, type RunningExec } from './docker-exec';
import { errorMessage, failure } from './errors';

export type { ExecOptions, ExecResult, RunningExec } from './docker-exec';

/** What the activities need from Docker; everything else depends on this, not on dockerode. */
export interface ContainerClient {
  /** Names of the containers a name or a compose service label (com.docker.compose.service) designates. */
  resolve(nameOrService: string): Promise<string[]>;
  /** Like `docker compose ps` for one container; state `missing` when there is none. */
  state(name: string): Promise<ContainerState>;
  /** Idempotent: an already stopped container is success. */
  stop(name: string, timeoutSeconds?: number): Promise<void>;
  /** Idempotent: an already running container is success. */
  start(name: string): Promise<void>;
  restart(name: string): Promise<void>;
  /**
   * Until running and, where the container has a healthcheck, healthy. With `untilVerdict`, an unhealthy
   * verdict, or a healthcheck still starting at the timeout, is returned instead of waited out or thrown.
   */
  waitUntilReady(
    name: string,
    timeoutMs: number,
    onPoll?: (state: ContainerState) => void,
    options?: { untilVerdict?: boolean },
  ): Promise<ContainerState>;
  exec(name: string, cmd: string[], options?: ExecOptions): Promise<ExecResult>;
  startExec(name: string, cmd: string[], options?: ExecOptions): Promise<RunningExec>;
  /** Log lines (stdout and stderr) written since a time. */
  logsSince(name: string, since: Date): Promise<string[]>;
}

const COMPOSE_SERVICE_LABEL = 'com.docker.compose.service';

function statusCode(err: unknown): number | undefined {
  return (err as { statusCode?: number }).statusCode;
}

function notFound(name: string, err?: unknown) {
  return failure(ErrorType.ContainerNotFound, `container ${name} does not exist`, err);
}

export function createContainerClient(docker: Dockerode = new Dockerode()): ContainerClient {
  async function inspect(name: string): Promise<Dockerode.ContainerInspectInfo> {
    try {
      return await docker.getContainer(name).inspect();
    } catch (err) {
      if (statusCode(err) === 404) throw notFound(name, err);
      throw new Error(`docker inspect ${name} failed: ${errorMessage(err)}`);
    }
  }

  /** Runs a lifecycle call where 304 means "already in that state". */
  async function lifecycle(name: string, verb: string, call: () => Promise<unknown>): Promise<void> {
    try {
      await call();
    } catch (err) {
      if (statusCode(err) === 304) return;
      if (statusCode(err) === 404) throw notFound(name, err);
      throw new Error(`docker ${verb} ${name} failed: ${errorMessage(err)}`);
    }
  }

  const client: ContainerClient = {
    async resolve(nameOrService) {
      const byName = await docker.listContainers({ all: true, filters: { name: [nameOrService] } });
      if (byName.some((c) => c.Names.includes(`/${nameOrService}`))) return [nameOrService];
      const byLabel = await docker.listContainers({
        all: true,
        filters: { label: [`${COMPOSE_SERVICE_LABEL}=${nameOrService}`] },
      });
      if (byLabel.length === 0) throw notFound(nameOrService);
      return byLabel.map((c) => c.Names[0].replace(/^\//, '')).sort();
    },

    async state(name) {
      const listed = await docker.listContainers({ all: true, filters: { name: [name] } });
      const container = listed.find((c) => c.Names.includes(`/${name}`));
      if (!container) return { name, state: 'missing', status: 'no such container' };
      const info = await inspect(name).catch(() => undefined);
      return { name, state: container.State, status: container.Status, health: info?.State.Health?.Status };
    },

    stop: (name, timeoutSeconds = 10) =>
      lifecycle(name, 'stop', () => docker.getContainer(name).stop({ t: timeoutSeconds })),
    start: (name) => lifecycle(name, 'start', () => docker.getContainer(name).start()),
    restart: (name) => lifecycle(name, 'restart', () => docker.getContainer(name).restart()),

    async waitUntilReady(name, timeoutMs, onPoll, options = {}) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const info = await inspect(name);
        const current = await client.state(name);
        onPoll?.(current);
        const health = info.State.Health?.Status;
        if (info.State.Running && (health === undefined || health === 'healthy')) return current;
        if (!info.State.Running && !info.State.Restarting && info.State.Status !== 'created') {
          throw new Error(`container ${name} is ${info.State.Status} (exit code ${info.State.ExitCode}), not running`);
        }
        if (options.untilVerdict && info.State.Running && (health === 'unhealthy' || Date.now() > deadline)) {
          return current;
        }
        if (Date.now() > deadline) {
          throw new Error(`container ${name} not ready after ${Math.round(timeoutMs / 1000)} s: ${current.status}`);
        }
        await new Promise((resolve) => setTimeout(resolve, 500));
      }
    },

    async exec(name, cmd, options) {
      return (await client.startExec(name, cmd, options)).result;
    },

    async startExec(name, cmd, options) {
      try {
        return await startExec(docker, name, cmd, options);
      } catch (err) {
        if (statusCode(err) === 404) throw notFound(name, err);
        throw new Error(`docker exec ${cmd[0]} in ${name} failed: ${errorMessage(err)}`);
      }
    },

    async logsSince(name, since) {
      const info = await inspect(name);
      let raw: Buffer;
      try {
        raw = (await docker.getContainer(name).logs({
          stdout: true,
          stderr: true,
          follow: false,
          since: Math.floor(since.getTime() / 1000),
        })) as unknown as Buffer;
      } catch (err) {
        throw new Error(`docker logs ${name} failed: ${errorMessage(err)}`);
      }
      const text = info.Config.Tty ? raw.toString('utf8') : demultiplex(raw);
      return text.split('\n').filter((line) => line.length > 0);
    },
  };
  return client;
}

/** Docker's log stream without a TTY: frames of an 8-byte header (stream, 0, 0, 0, size32be) and a payload. */
export function demultiplex(raw: Buffer): string {
  const parts: Buffer[] = [];
  let offset = 0;
  while (offset + 8 <= raw.length) {
    const size = raw.readUInt32BE(offset + 4);
    parts.push(raw.subarray(offset + 8, offset + 8 + size));
    offset += 8 + size;
  }
  return Buffer.concat(parts).toString('utf8');
}
