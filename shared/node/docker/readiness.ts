import type { ContainerState } from '../../activity-contract';
import { containerState, inspectContainer } from './containers';

export interface ReadinessOptions {
  /** Called with the state at every poll (activities heartbeat with it). */
  onPoll?: (state: ContainerState) => void;
  /**
   * Return an unhealthy verdict, or a healthcheck still starting at the timeout, instead of waiting it out or
   * throwing: after a swap, judging an unhealthy app is the health check's job.
   */
  untilVerdict?: boolean;
}

const POLL_MS = 500;

/**
 * Waits until the container runs and, where it has a healthcheck, is healthy. Throws at once when it stopped
 * (exited, dead: waiting cannot help), and at the timeout otherwise.
 */
export async function waitUntilReady(
  name: string,
  timeoutMs: number,
  options: ReadinessOptions = {},
): Promise<ContainerState> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const info = await inspectContainer(name);
    const current = await containerState(name);
    options.onPoll?.(current);
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
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
}
