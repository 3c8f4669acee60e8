import { docker, execOrThrow, inspectOrUndefined } from '../shared/node/docker';
import { setUpService } from '../shared/node/server-setup-run';
import { ensureContainer, ensureNetwork, removeContainer, waitHealthy } from './containers';
import { ensureBackupGenerations } from './backup';
import { ensureSampleData } from './data';
import { httpStatus } from './http-status';
import { withLock } from './lock';
import { ensureSandboxImages } from './images';
import { ensureOperatorPassword, ensureSandboxPassword } from './passwords';
import { appSpecs, databaseSpec, networkName, volumeName } from './spec';
import { loadSandboxTopology } from './topology';
import type { Topology } from '../shared/node/topology';

export interface SandboxUpOptions {
  topology?: Topology;
  /** Fill empty databases with sample data (default true). */
  data?: boolean;
  /** Leave at least two backup generations per service (default true). */
  backups?: boolean;
  log?: (line: string) => void;
}

const DATABASE_READY_MS = 120_000;
const APP_READY_MS = 60_000;

/** Brings the whole sandbox up, idempotently: images, network, databases, data, apps, backups. */
export function sandboxUp(options: SandboxUpOptions = {}): Promise<void> {
  return withLock('stack', () => up(options));
}

async function up(options: SandboxUpOptions): Promise<void> {
  const topology = options.topology ?? loadSandboxTopology();
  const log = options.log ?? ((line: string) => console.log(line));
  await ensureSandboxImages({ log });
  await ensureNetwork(networkName(topology));
  const services = Object.entries(topology.services);
  const passwords = new Map(services.map(([name, service]) => [name, ensureSandboxPassword(service)]));

  for (const [name, service] of services) {
    const outcome = await ensureContainer(databaseSpec(topology, name, service, passwords.get(name)!));
    log(`sandbox: ${service.databaseContainer} ${outcome}`);
  }
  for (const [name, service] of services) {
    await waitHealthy(service.databaseContainer, DATABASE_READY_MS);
    await applyPassword(service.databaseContainer, service.user, passwords.get(name)!);
    await ensureDatabaseExists(service.databaseContainer, service.user, service.database);
    // The product's own one-time set-up (opareta-dr setup-roles): the service's role is the image's superuser.
    ensureOperatorPassword(service);
    await setUpService(name, service, {
      superuser: service.user,
      password: passwords.get(name)!,
      say: () => undefined,
    });
    if (options.data !== false) await ensureSampleData(name, { topology, log });
  }
  for (const [name, service] of services) {
    for (const spec of appSpecs(topology, name, service, passwords.get(name)!)) {
      log(`sandbox: ${spec.name} ${await ensureContainer(spec)}`);
    }
  }
  await Promise.all(services.flatMap(([, service]) => service.healthUrls.map((url) => waitForHealthUrl(url))));
  if (options.backups !== false) {
    const now = new Date(Math.floor(Date.now() / 1000) * 1000);
    for (const [name] of services) await ensureBackupGenerations(name, { topology, log, now });
  }
  log(`sandbox: up (${services.map(([, s]) => s.healthUrls.join(' ')).join(' ')})`);
}

/**
 * Sets the role's password from the secret on every `up`, so a regenerated secret file and an old volume
 * still agree. Over the Unix socket (local trust); the password travels on stdin, never in a command line.
 */
async function applyPassword(container: string, user: string, password: string): Promise<void> {
  const role = `"${user.replace(/"/g, '""')}"`;
  await execOrThrow(container, ['psql', '-U', user, '-d', 'postgres', '-q', '-v', 'ON_ERROR_STOP=1'], {
    stdin: `ALTER ROLE ${role} PASSWORD '${password.replace(/'/g, "''")}';\n`,
  });
}

/** Recreates the service database when a failed in-place restore left it dropped (the sandbox heals itself). */
async function ensureDatabaseExists(container: string, user: string, database: string): Promise<void> {
  const sql = `SELECT format('CREATE DATABASE %I OWNER %I', :'db', :'owner')
    WHERE NOT EXISTS (SELECT 1 FROM pg_database WHERE datname = :'db') \\gexec\n`;
  await execOrThrow(
    container,
    [
      'psql',
      '-U',
      user,
      '-d',
      'postgres',
      '-q',
      '-X',
      '-v',
      'ON_ERROR_STOP=1',
      '-v',
      `db=${database}`,
      '-v',
      `owner=${user}`,
    ],
    { stdin: sql },
  );
}

export async function waitForHealthUrl(url: string, timeoutMs = APP_READY_MS): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = 0;
  while (Date.now() < deadline) {
    last = await httpStatus(url);
    if (last === 200) return;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new Error(
    `${url} did not answer 200 within ${timeoutMs / 1000} s (last: ${last ? `HTTP ${last}` : 'no answer'})`,
  );
}

export interface SandboxDownOptions {
  topology?: Topology;
  /** Also remove the database volumes (all sandbox data). Backups on the host stay. */
  volumes?: boolean;
  log?: (line: string) => void;
}

export function sandboxDown(options: SandboxDownOptions = {}): Promise<void> {
  return withLock('stack', () => down(options));
}

async function down(options: SandboxDownOptions): Promise<void> {
  const topology = options.topology ?? loadSandboxTopology();
  const log = options.log ?? ((line: string) => console.log(line));
  const services = Object.entries(topology.services);
  const apps = services.flatMap(([, s]) => s.appContainers);
  await Promise.all(apps.map(async (name) => (await removeContainer(name)) && log(`sandbox: removed ${name}`)));
  for (const [, service] of services) {
    if (await removeContainer(service.databaseContainer)) log(`sandbox: removed ${service.databaseContainer}`);
  }
  if (options.volumes) {
    for (const [name] of services) {
      await docker()
        .getVolume(volumeName(topology, name))
        .remove()
        .then(() => log(`sandbox: removed volume ${volumeName(topology, name)}`))
        .catch((err: { statusCode?: number }) => {
          if (err.statusCode !== 404) throw err;
        });
    }
  }
  await docker()
    .getNetwork(networkName(topology))
    .remove()
    .catch((err: { statusCode?: number; message?: string }) => {
      // 403: other containers still use the network; it is harmless to keep it.
      if (err.statusCode === 403) log(`sandbox: kept network ${networkName(topology)}: ${err.message}`);
      else if (err.statusCode !== 404) throw err;
    });
}

export interface ContainerStatus {
  name: string;
  service: string;
  role: 'database' | 'app';
  state: string;
  health: string;
}

export async function sandboxStatus(options: { topology?: Topology } = {}): Promise<ContainerStatus[]> {
  const topology = options.topology ?? loadSandboxTopology();
  const rows: ContainerStatus[] = [];
  for (const [service, config] of Object.entries(topology.services)) {
    const containers = [
      { name: config.databaseContainer, role: 'database' as const },
      ...config.appContainers.map((name) => ({ name, role: 'app' as const })),
    ];
    for (const { name, role } of containers) {
      const info = await inspectOrUndefined(name);
      rows.push({
        name,
        service,
        role,
        state: info?.State.Status ?? 'missing',
        health: info?.State.Health?.Status ?? (info?.State.Running ? 'running' : '-'),
      });
    }
  }
  return rows;
}
