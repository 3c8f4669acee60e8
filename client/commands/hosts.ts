import type { Command } from 'commander';
import { settings } from '../../shared/node/settings';
import { loadTopology } from '../../shared/node/topology';
import { action } from '../action';
import { emit, ExitCode, table, type OutputOptions } from '../output';
import { withClient } from '../temporal';
import { describeHostQueues, isPolling, type HostQueue } from '../worker-hosts';

export function registerHostCommands(program: Command): void {
  program
    .command('hosts')
    .description(
      'which host runs what: each task queue of the topology (opareta-dr, opareta-dr@<host>), its services ' +
        'and the workers the Temporal server has seen polling it',
    )
    .option('--json', 'machine-readable output')
    .action(
      action(async (o: OutputOptions) => {
        const topology = loadTopology(settings.configFile);
        const queues = await withClient((client) => describeHostQueues(client, topology, settings.taskQueue));
        emit(o, queues, () => describeQueues(queues));
        // A host with no worker stalls its services' restores: make it a failing exit for scripts and checks.
        if (queues.some((q) => !q.workers.some(isPolling))) process.exitCode = ExitCode.failed;
      }),
    );
}

function describeQueues(queues: HostQueue[]): string {
  const rows = queues.map((queue) => {
    const polling = queue.workers.filter(isPolling);
    return {
      host: queue.host ?? '(any: orchestration)',
      queue: queue.taskQueue,
      services: queue.services.join(', ') || '-',
      workers: polling.length
        ? polling.map((w) => `${w.identity} (${w.lastSeenSecondsAgo} s ago)`).join('; ')
        : `NONE: start one (npm start${queue.host ? ` -- --host ${queue.host}` : ''})`,
    };
  });
  return table(rows, ['host', 'queue', 'services', 'workers']);
}
