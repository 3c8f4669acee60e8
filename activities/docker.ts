import type { ContainerState } from '../shared/activity-contract';
import { ErrorType } from '../shared/errors';
import * as docker from '../shared/node/docker';
import type { ExecOptions, ExecResult, ReadinessOptions, RunningExec } from '../shared/node/docker';
import { failure } from './errors';

export type { ExecOptions, ExecResult, RunningExec } from '../shared/node/docker';

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
    options?: Pick<ReadinessOptions, 'untilVerdict'>,
  ): Promise<ContainerState>;
  exec(name: string, cmd: string[], options?: ExecOptions): Promise<ExecResult>;
  startExec(name: string, cmd: string[], options?: ExecOptions): Promise<RunningExec>;
  /** Log lines (stdout and stderr) written since a time. */
  logsSince(name: string, since: Date): Promise<string[]>;
}

/**
 * The shared Docker module as the activities see it: its plain errors pass through (Temporal retries them),
 * except a missing container, which no retry brings back.
 */
async function mapped<T>(name: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (err) {
    if (docker.isNotFound(err)) throw failure(ErrorType.ContainerNotFound, `container ${name} does not exist`, err);
    throw err;
  }
}

export function createContainerClient(): ContainerClient {
  return {
    resolve: (nameOrService) => mapped(nameOrService, () => docker.resolveContainers(nameOrService)),
    state: (name) => mapped(name, () => docker.containerState(name)),
    stop: (name, timeoutSeconds) => mapped(name, () => docker.stopContainer(name, timeoutSeconds)),
    start: (name) => mapped(name, () => docker.startContainer(name)),
    restart: (name) => mapped(name, () => docker.restartContainer(name)),
    waitUntilReady: (name, timeoutMs, onPoll, options) =>
      mapped(name, () => docker.waitUntilReady(name, timeoutMs, { ...options, onPoll })),
    exec: (name, cmd, options) => mapped(name, () => docker.execInContainer(name, cmd, options)),
    startExec: (name, cmd, options) => mapped(name, () => docker.startExec(name, cmd, options)),
    logsSince: (name, since) => mapped(name, () => docker.logLinesSince(name, since)),
  };
}
