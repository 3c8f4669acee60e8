import type { Command } from 'commander';
import { backupService, generateData, sandboxDown, sandboxStatus, sandboxUp } from '../../sandbox';
import { loadSandboxTopology } from '../../sandbox/topology';
import { action } from '../action';
import { CliError, emit, ExitCode, table, type OutputOptions } from '../output';

/** Progress lines go to stderr, so `--json` leaves one JSON document on stdout. */
const log = (line: string) => process.stderr.write(line + '\n');

function servicesOf(service: string | undefined): string[] {
  const topology = loadSandboxTopology();
  if (service && !Object.hasOwn(topology.services, service)) {
    throw new CliError(
      `unknown service "${service}"; known: ${Object.keys(topology.services).join(', ')}`,
      ExitCode.usage,
    );
  }
  return service ? [service] : Object.keys(topology.services);
}

export function registerSandboxCommands(program: Command): void {
  const sandbox = program
    .command('sandbox')
    .description('the local Opareta stack in Docker (PostgreSQL + apps + backups)');
  sandbox
    .command('up')
    .description('build images once, start databases and apps, make backups when fewer than two generations exist')
    .option('--json', 'machine-readable output')
    .action(
      action(async (o: OutputOptions) => {
        await sandboxUp({ log });
        const containers = await sandboxStatus();
        emit(o, containers, () => table(containers, ['name', 'role', 'state', 'health']));
      }),
    );
  sandbox
    .command('down')
    .description('remove the sandbox containers (data volumes are kept unless --volumes)')
    .option('--volumes', 'also remove the data volumes')
    .option('--json', 'machine-readable output')
    .action(
      action(async (o: { volumes?: boolean } & OutputOptions) => {
        await sandboxDown({ volumes: o.volumes, log });
        emit(o, { down: true, volumesRemoved: Boolean(o.volumes) }, () => 'sandbox removed');
      }),
    );
  sandbox
    .command('status')
    .description('state and health of every sandbox container')
    .option('--json', 'machine-readable output')
    .action(
      action(async (o: OutputOptions) => {
        const containers = await sandboxStatus();
        emit(o, containers, () => table(containers, ['name', 'role', 'state', 'health']));
      }),
    );
  sandbox
    .command('backup')
    .description('pg_dump a service (or all) into the backup directory, named by the convention')
    .option('--service <name>', 'only this service')
    .option('--json', 'machine-readable output')
    .action(
      action(async (o: { service?: string } & OutputOptions) => {
        const results: Awaited<ReturnType<typeof backupService>>[] = [];
        for (const service of servicesOf(o.service)) results.push(await backupService(service, { log }));
        emit(o, results, () => table(results, ['service', 'file', 'bytes']));
      }),
    );
  sandbox
    .command('generate')
    .description('append sample data: scale 1 is about 6.8 MB of plain dump, scale 155 about 1 GB')
    .option('--service <name>', 'only this service')
    .option('--scale <n>', 'how much', '1')
    .option('--json', 'machine-readable output')
    .action(
      action(async (o: { service?: string; scale: string } & OutputOptions) => {
        const scale = Number(o.scale);
        if (!(scale > 0)) throw new CliError(`--scale must be a positive number, got ${o.scale}`, ExitCode.usage);
        const services = servicesOf(o.service);
        for (const service of services) await generateData(service, { scale, log });
        emit(o, { services, scale }, () => `generated scale ${scale} for ${services.join(', ')}`);
      }),
    );
}
