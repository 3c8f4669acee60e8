import type { Command } from 'commander';
import {
  addActivity,
  backupService,
  ensureSandboxImages,
  generateData,
  loadSandboxTopology,
  sandboxDown,
  sandboxStatus,
  sandboxUp,
} from '../../sandbox';
import { action } from '../action';
import { CliError, emit, ExitCode, table, type OutputOptions } from '../output';

/**
 * `opareta-dr sandbox ...`: the one command line of the local stack (npm start, npm test and the package
 * scripts call it too). Progress lines go to stderr, so `--json` leaves one JSON document on stdout.
 */
const log = (line: string) => process.stderr.write(line + '\n');

interface SandboxOptions extends OutputOptions {
  service?: string;
  scale?: string;
  timestamp?: string;
  volumes?: boolean;
}

interface SandboxCommand {
  name: string;
  description: string;
  options?: [flags: string, description: string][];
  run(options: SandboxOptions): Promise<{ value: unknown; human: () => string }>;
}

const SERVICE_OPTION: [string, string] = ['--service <name>', 'only this service (default: every service)'];

const showContainers = async () => {
  const containers = await sandboxStatus();
  return { value: containers, human: () => table(containers, ['name', 'role', 'state', 'health']) };
};

const COMMANDS: SandboxCommand[] = [
  {
    name: 'up',
    description: 'build images once, start databases and apps, sample data, two backup generations',
    run: async () => {
      await sandboxUp({ log });
      return showContainers();
    },
  },
  {
    name: 'down',
    description: 'remove the sandbox containers (data volumes are kept unless --volumes)',
    options: [['--volumes', 'also remove the data volumes']],
    run: async (o) => {
      await sandboxDown({ volumes: o.volumes, log });
      return { value: { down: true, volumesRemoved: Boolean(o.volumes) }, human: () => 'sandbox removed' };
    },
  },
  { name: 'status', description: 'state and health of every sandbox container', run: showContainers },
  {
    name: 'backup',
    description: 'pg_dump a service (or all) into the backup directory, named by the convention',
    options: [SERVICE_OPTION, ['--timestamp <iso>', 'the time in the file name (default: now)']],
    run: async (o) => {
      const timestamp = o.timestamp === undefined ? undefined : parseTimestamp(o.timestamp);
      const results: Awaited<ReturnType<typeof backupService>>[] = [];
      for (const service of servicesOf(o.service)) results.push(await backupService(service, { log, timestamp }));
      return { value: results, human: () => table(results, ['service', 'file', 'bytes']) };
    },
  },
  {
    name: 'generate',
    description: 'append sample data: scale 1 is about 6.8 MB of plain dump, scale 155 about 1 GB',
    options: [SERVICE_OPTION, ['--scale <n>', 'how much (default 1)']],
    run: async (o) => {
      const scale = parseScale(o.scale ?? '1');
      const services = servicesOf(o.service);
      for (const service of services) await generateData(service, { scale, log });
      return { value: { services, scale }, human: () => `generated scale ${scale} for ${services.join(', ')}` };
    },
  },
  {
    name: 'activity',
    description: 'append a little new business (users, sessions, payments)',
    options: [SERVICE_OPTION],
    run: async (o) => {
      const services = servicesOf(o.service);
      for (const service of services) await addActivity(service, {});
      return { value: { services }, human: () => `new activity in ${services.join(', ')}` };
    },
  },
  {
    name: 'images',
    description: 'build (from Debian packages) or pull the sandbox images only',
    run: async () => {
      const tags = await ensureSandboxImages({ log });
      return { value: tags, human: () => `sandbox images ready: ${tags.postgres}, ${tags.app}` };
    },
  },
];

export function registerSandboxCommands(program: Command): void {
  const sandbox = program
    .command('sandbox')
    .description('the local Opareta stack in Docker (PostgreSQL + apps + backups)');
  for (const spec of COMMANDS) {
    const command = sandbox.command(spec.name).description(spec.description);
    for (const [flags, description] of spec.options ?? []) command.option(flags, description);
    command.option('--json', 'machine-readable output').action(
      action(async (o: SandboxOptions) => {
        const { value, human } = await spec.run(o);
        emit(o, value, human);
      }),
    );
  }
}

function servicesOf(service: string | undefined): string[] {
  const known = Object.keys(loadSandboxTopology().services);
  if (service === undefined) return known;
  if (!known.includes(service)) {
    throw new CliError(`unknown service "${service}"; known: ${known.join(', ')}`, ExitCode.usage);
  }
  return [service];
}

function parseScale(text: string): number {
  const scale = Number(text);
  if (!(scale > 0 && scale <= 10_000)) {
    throw new CliError(`--scale must be a number above 0 (at most 10000), got ${text}`, ExitCode.usage);
  }
  return scale;
}

function parseTimestamp(text: string): Date {
  const date = new Date(text);
  if (!/^\d{4}-\d{2}-\d{2}T/.test(text) || Number.isNaN(date.getTime())) {
    throw new CliError(`--timestamp must be an ISO date-time like 2026-12-01T02:00:00Z, got ${text}`, ExitCode.usage);
  }
  return date;
}
