import { ConfigError, workerHostName } from '../shared/node/topology';

/**
 * The host this worker runs on, from `--host NAME` (or `--host=NAME`), else OPARETA_WORKER_HOST; none: the
 * worker runs the orchestration and the steps of the services that name no host. Any other argument is refused,
 * so a typo does not start a worker that silently polls the wrong queues.
 */
export function workerHostFrom(args: string[], env: NodeJS.ProcessEnv): string | undefined {
  let host = env.OPARETA_WORKER_HOST || undefined;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    if (arg === '--host') host = args[++i];
    else if (arg.startsWith('--host=')) host = arg.slice('--host='.length);
    else throw new ConfigError(`unknown worker argument ${JSON.stringify(arg)}; the worker takes --host NAME only`);
    if (!host) throw new ConfigError('--host needs a host name');
  }
  if (host === undefined) return undefined;
  const parsed = workerHostName.safeParse(host);
  if (!parsed.success) throw new ConfigError(`--host ${JSON.stringify(host)} ${parsed.error.issues[0].message}`);
  return parsed.data;
}
