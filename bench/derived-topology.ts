import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { projectRoot, settings } from '../shared/node/settings';
import { loadTopology, type ServiceConfig, type Topology } from '../shared/node/topology';

/**
 * A stack of a benchmark's own, derived from config/sandbox.json so it restores the same services with the
 * same checks, with nothing in common with the sandbox others' tests use: other container names (sandbox/spec.ts
 * names the network and volumes after the topology's name too), host ports, backup and secret directories, and
 * password variables (so a sandbox password in the environment is not reused).
 */
export interface DerivedStack {
  /** The topology's name: `opareta-bench`, `opareta-chaos`. */
  name: string;
  databasePortOffset: number;
  appPortOffset: number;
  backupRoot: string;
  secretsDir: string;
  /** Put before each password variable's name: `BENCH_`, `CHAOS_`. */
  passwordEnvPrefix: string;
}

/** A stack's folders under .data/<folder>/ (backups kept between runs: generating them is the slow part). */
export function derivedStack(
  folder: string,
  options: Omit<DerivedStack, 'backupRoot' | 'secretsDir'>,
): DerivedStack & { dataDir: string; write: (sandboxConfig?: string) => Promise<DerivedTopologyFile> } {
  const dataDir = path.join(settings.dataDir, folder);
  const stack = { ...options, backupRoot: path.join(dataDir, 'backups'), secretsDir: path.join(dataDir, 'secrets') };
  return { ...stack, dataDir, write: (sandboxConfig) => writeDerivedTopology(stack, sandboxConfig) };
}

export interface DerivedTopologyFile {
  /** For the worker's OPARETA_CONFIG. */
  file: string;
  /** The same file loaded back, exactly as the worker sees it. */
  topology: Topology;
  remove: () => Promise<void>;
}

/** opareta-postgres-argus -> opareta-bench-postgres-argus; a name without the prefix gets it in front. */
export function derivedContainerName(stack: DerivedStack, name: string): string {
  return name.startsWith('opareta-') ? name.replace(/^opareta-/, `${stack.name}-`) : `${stack.name}-${name}`;
}

function derivedService(stack: DerivedStack, name: string, service: ServiceConfig): ServiceConfig {
  const shifted = (url: string) => {
    const parsed = new URL(url);
    parsed.port = String(Number(parsed.port) + stack.appPortOffset);
    return parsed.toString();
  };
  return {
    ...service,
    port: service.port + stack.databasePortOffset,
    password: {
      env: `${stack.passwordEnvPrefix}${service.password.env}`,
      file: path.join(stack.secretsDir, `${name}_db_password`),
    },
    databaseContainer: derivedContainerName(stack, service.databaseContainer),
    appContainers: service.appContainers.map((container) => derivedContainerName(stack, container)),
    healthUrls: service.healthUrls.map(shifted),
    backupDirectory: '.',
  };
}

export function derivedTopology(stack: DerivedStack, sandbox: Topology): Topology {
  const services = Object.fromEntries(
    Object.entries(sandbox.services).map(([name, service]) => [name, derivedService(stack, name, service)]),
  );
  return { ...sandbox, name: stack.name, sandbox: true, backupRoot: stack.backupRoot, services };
}

/** Writes the derived topology to a temporary JSON file and validates it through the product's own loader. */
export async function writeDerivedTopology(
  stack: DerivedStack,
  sandboxConfig = path.join(projectRoot, 'config', 'sandbox.json'),
): Promise<DerivedTopologyFile> {
  const derived = derivedTopology(stack, loadTopology(sandboxConfig));
  const directory = await mkdtemp(path.join(os.tmpdir(), `${stack.name}-`));
  const file = path.join(directory, 'topology.json');
  await writeFile(file, JSON.stringify(derived, null, 2) + '\n');
  return { file, topology: loadTopology(file), remove: () => rm(directory, { recursive: true, force: true }) };
}

/** The downtime benchmark's stack: `opareta-bench-*`, database ports +1000, app ports +100. */
export const benchStack = derivedStack('bench', {
  name: 'opareta-bench',
  databasePortOffset: 1000,
  appPortOffset: 100,
  passwordEnvPrefix: 'BENCH_',
});

/**
 * The chaos suite's stack: `opareta-chaos-*`, host ports 56532/56533 and 3201-3204, so the faults it injects
 * (docker kill, SIGKILL) never reach the sandbox or the downtime bench.
 */
export const chaosStack = derivedStack('chaos', {
  name: 'opareta-chaos',
  databasePortOffset: 1100,
  appPortOffset: 200,
  passwordEnvPrefix: 'CHAOS_',
});
