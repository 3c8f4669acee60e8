import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { projectRoot, settings } from '../../shared/node/settings';
import { loadTopology, type ServiceConfig, type Topology } from '../../shared/node/topology';

/**
 * The benchmark's own stack, derived from config/sandbox.json so it restores the same services with the same
 * checks, but with nothing in common with the sandbox that others' tests use: other container names, other
 * host ports, another network and other volumes (sandbox/spec.ts names both after `name`), other backup and
 * secret directories, and other password variables (so a sandbox password in the environment is not reused).
 */
export const BENCH_TOPOLOGY_NAME = 'opareta-bench';
const DATABASE_PORT_OFFSET = 1000;
const APP_PORT_OFFSET = 100;

export const benchDataDir = path.join(settings.dataDir, 'bench');
export const benchBackupRoot = path.join(benchDataDir, 'backups');
export const benchSecretsDir = path.join(benchDataDir, 'secrets');

/** opareta-postgres-argus -> opareta-bench-postgres-argus; a name without the prefix gets it in front. */
export function benchContainerName(name: string): string {
  return name.startsWith('opareta-') ? name.replace(/^opareta-/, 'opareta-bench-') : `opareta-bench-${name}`;
}

function shiftedUrl(url: string): string {
  const parsed = new URL(url);
  parsed.port = String(Number(parsed.port) + APP_PORT_OFFSET);
  return parsed.toString();
}

function benchService(name: string, service: ServiceConfig): ServiceConfig {
  return {
    ...service,
    port: service.port + DATABASE_PORT_OFFSET,
    password: { env: `BENCH_${service.password.env}`, file: path.join(benchSecretsDir, `${name}_db_password`) },
    databaseContainer: benchContainerName(service.databaseContainer),
    appContainers: service.appContainers.map(benchContainerName),
    healthUrls: service.healthUrls.map(shiftedUrl),
    backupDirectory: '.',
  };
}

export function benchTopologyFrom(sandbox: Topology): Topology {
  const services = Object.fromEntries(
    Object.entries(sandbox.services).map(([name, service]) => [name, benchService(name, service)]),
  );
  return { ...sandbox, name: BENCH_TOPOLOGY_NAME, sandbox: true, backupRoot: benchBackupRoot, services };
}

export interface BenchTopologyFile {
  /** For the worker's OPARETA_CONFIG. */
  file: string;
  /** The same file loaded back, exactly as the worker sees it. */
  topology: Topology;
  remove: () => Promise<void>;
}

/** Writes the bench topology to a temporary JSON file and validates it through the product's own loader. */
export async function writeBenchTopology(
  sandboxConfig = path.join(projectRoot, 'config', 'sandbox.json'),
): Promise<BenchTopologyFile> {
  const derived = benchTopologyFrom(loadTopology(sandboxConfig));
  const directory = await mkdtemp(path.join(os.tmpdir(), 'opareta-bench-'));
  const file = path.join(directory, 'topology.json');
  await writeFile(file, JSON.stringify(derived, null, 2) + '\n');
  return {
    file,
    topology: loadTopology(file),
    remove: () => rm(directory, { recursive: true, force: true }),
  };
}
