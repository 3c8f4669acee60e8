import { parseArgs } from 'node:util';
import { backupService } from './backup';
import { addActivity, generateData } from './data';
import { ensureSandboxImages } from './images';
import { sandboxDown, sandboxStatus, sandboxUp } from './stack';
import { loadSandboxTopology } from './topology';

const USAGE = `usage: tsx sandbox/cli.ts <command> [options]
  up                     build images if needed, start the stack, sample data, two backup generations
  down [--volumes]       remove the containers (and with --volumes the database volumes)
  status                 state and health of each container
  backup [--service S] [--timestamp ISO]   pg_dump now (every service unless --service)
  generate [--service S] [--scale N]       append sample data (scale 155 ≈ 1 GB of plain dump in all)
  activity [--service S]                   append a little new business
  images                 build or pull the sandbox images only`;

async function main(): Promise<void> {
  const { positionals, values } = parseArgs({
    allowPositionals: true,
    options: {
      service: { type: 'string' },
      scale: { type: 'string' },
      timestamp: { type: 'string' },
      volumes: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  const [command] = positionals;
  if (values.help || !command) {
    console.log(USAGE);
    return;
  }
  if (command === 'images') {
    const tags = await ensureSandboxImages();
    console.log(`sandbox images ready: ${tags.postgres}, ${tags.app}`);
    return;
  }
  const topology = loadSandboxTopology();
  const services = values.service ? [values.service] : Object.keys(topology.services);
  switch (command) {
    case 'up':
      return sandboxUp({ topology });
    case 'down':
      return sandboxDown({ topology, volumes: values.volumes });
    case 'status':
      for (const row of await sandboxStatus({ topology })) {
        console.log(`${row.name.padEnd(26)} ${row.role.padEnd(9)} ${row.state.padEnd(10)} ${row.health}`);
      }
      return;
    case 'backup': {
      const timestamp = values.timestamp ? parseTimestamp(values.timestamp) : undefined;
      for (const service of services) {
        const result = await backupService(service, { topology, timestamp });
        console.log(`${result.file} (${result.bytes} bytes)`);
      }
      return;
    }
    case 'generate': {
      const scale = values.scale === undefined ? 1 : Number(values.scale);
      for (const service of services) {
        console.log(`sandbox: generating ${service} at scale ${scale}`);
        await generateData(service, { topology, scale });
      }
      return;
    }
    case 'activity':
      for (const service of services) await addActivity(service, { topology });
      return;
    default:
      throw new Error(`unknown command "${command}"\n${USAGE}`);
  }
}

function parseTimestamp(text: string): Date {
  const date = new Date(text);
  if (Number.isNaN(date.getTime())) throw new Error(`--timestamp ${text} is not an ISO date-time`);
  return date;
}

let finished = false;
main().then(
  () => {
    finished = true;
  },
  (err: Error) => {
    finished = true;
    console.error(`sandbox: ${err.message}`);
    process.exitCode = 1;
  },
);
// An await that can never settle would otherwise end the process silently with status 0.
process.on('exit', () => {
  if (!finished) {
    console.error('sandbox: stopped before the command finished');
    process.exitCode = 1;
  }
});
