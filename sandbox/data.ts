import { readFileSync } from 'node:fs';
import path from 'node:path';
import { projectRoot } from '../shared/node/settings';
import { getService, type ServiceConfig, type Topology } from '../shared/node/topology';
import { execOrThrow } from '../shared/node/docker';
import { generators, type ServiceGenerator } from './generators';
import { loadSandboxTopology } from './topology';

export interface DataOptions {
  topology?: Topology;
  log?: (line: string) => void;
}

/**
 * Plain-SQL dump size per scale unit, measured here at scale 10: argus 3.9 MB (generated in 1.7 s),
 * hermes 2.6 MB (1.4 s); 6.5 MB for both. So `generate --scale 155` gives about 1 GB of plain SQL in all
 * (about 8 minutes on two cores), and `generate --service argus --scale 255` about 1 GB for argus alone.
 */
export const DUMP_MB_PER_SCALE = 6.5;

/** Creates the schema when missing and appends `scale` units of rows (server-side, generate_series). */
export async function generateData(service: string, options: DataOptions & { scale?: number } = {}): Promise<void> {
  const scale = options.scale ?? 1;
  if (!(scale > 0)) throw new Error(`scale must be a positive number, got ${scale}`);
  const { config, generator } = resolve(service, options);
  await runSql(config, schemaSql(generator));
  await runSql(config, generator.generateSql(scale));
  await runSql(config, 'ANALYZE;');
}

/** Fills a service's database with sample data when its main table is empty; leaves existing data alone. */
export async function ensureSampleData(service: string, options: DataOptions = {}): Promise<void> {
  const { config, generator } = resolve(service, options);
  await runSql(config, schemaSql(generator));
  const hasData = (await runSql(config, generator.hasDataSql, ['-tA'])).trim() === 't';
  if (hasData) return;
  options.log?.(`sandbox: generating sample data for ${service}`);
  await generateData(service, { ...options, scale: 1 });
}

/** Appends a little new business (and changes a few rows), so successive backups differ. */
export async function addActivity(service: string, options: DataOptions = {}): Promise<void> {
  const { config, generator } = resolve(service, options);
  await runSql(config, generator.activitySql());
}

function resolve(service: string, options: DataOptions): { config: ServiceConfig; generator: ServiceGenerator } {
  const topology = options.topology ?? loadSandboxTopology();
  const config = getService(topology, service);
  const generator = Object.hasOwn(generators, service) ? generators[service] : undefined;
  if (!generator) throw new Error(`no sample data generator for service "${service}"`);
  return { config, generator };
}

function schemaSql(generator: ServiceGenerator): string {
  return readFileSync(path.join(projectRoot, 'sandbox', 'sql', generator.schemaFile), 'utf8');
}

/** psql inside the database container over the Unix socket (local trust): SQL on stdin, one transaction. */
async function runSql(config: ServiceConfig, sql: string, extraArgs: string[] = []): Promise<string> {
  const args = ['psql', '-U', config.user, '-d', config.database, '-v', 'ON_ERROR_STOP=1', '-q', '-X'];
  return execOrThrow(config.databaseContainer, [...args, '--single-transaction', ...extraArgs, '-f', '-'], {
    stdin: sql,
  });
}
