import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { projectRoot, settings } from '../../shared/node/settings';
import { loadTopology, type ServiceConfig, type Topology } from '../../shared/node/topology';

/**
 * The chaos suite's own copy of the sandbox: the services and checks of config/sandbox.json, with other
 * container names (`opareta-chaos-*`), host ports (56532/56533, 3201-3204), network, volumes, backups and
 * secrets, so faults it injects (docker kill, SIGKILL) never reach the sandbox or the downtime bench.
 */
export const CHAOS_TOPOLOGY_NAME = 'opareta-chaos';
const DATABASE_PORT_OFFSET = 1100;
const APP_PORT_OFFSET = 200;

export const chaosDataDir = path.join(settings.dataDir, 'chaos');
/** Kept between runs: generated backups are the slow part of a run (see backups.ts). */
export const chaosBackupRoot = path.join(chaosDataDir, 'backups');
export const chaosSecretsDir = path.join(chaosDataDir, 'secrets');

export function chaosContainerName(name: string): string {
  return name.startsWith('opareta-') ? name.replace(/^opareta-/, 'opareta-chaos-') : `opareta-chaos-${name}`;
}

function shiftedUrl(url: string): string {
  const parsed = new URL(url);
  parsed.port = String(Number(parsed.port) + APP_PORT_OFFSET);
  return parsed.toString();
}

function chaosService(name: string, service: ServiceConfig): ServiceConfig {
  return {
    ...service,
    port: service.port + DATABASE_PORT_OFFSET,
    password: { env: `CHAOS_${service.password.env}`, file: path.join(chaosSecretsDir, `${name}_db_password`) },
    databaseContainer: chaosContainerName(service.databaseContainer),
    appContainers: service.appContainers.map(chaosContainerName),
    healthUrls: service.healthUrls.map(shiftedUrl),
    backupDirectory: '.',
  };
}

export interface ChaosTopologyFile {
  /** For the worker's OPARETA_CONFIG. */
  file: string;
  /** The same file loaded back, exactly as the worker sees it. */
  topology: Topology;
  remove: () => Promise<void>;
}

/** Writes the chaos topology to a temporary JSON file and validates it through the product's own loader. */
export async function writeChaosTopology(
  sandboxConfig = path.join(projectRoot, 'config', 'sandbox.json'),
): Promise<ChaosTopologyFile> {
  const sandbox = loadTopology(sandboxConfig);
  const services = Object.fromEntries(
    Object.entries(sandbox.services).map(([name, service]) => [name, chaosService(name, service)]),
  );
  const derived: Topology = {
    ...sandbox,
    name: CHAOS_TOPOLOGY_NAME,
    sandbox: true,
    backupRoot: chaosBackupRoot,
    services,
  };
  const directory = await mkdtemp(path.join(os.tmpdir(), 'opareta-chaos-'));
  const file = path.join(directory, 'topology.json');
  await writeFile(file, JSON.stringify(derived, null, 2) + '\n');
  return { file, topology: loadTopology(file), remove: () => rm(directory, { recursive: true, force: true }) };
}
