import { existsSync } from 'node:fs';
import path from 'node:path';
import { backupFileName, backupService, generateData } from '../../sandbox';
import { execOrThrow } from '../../shared/node/docker';
import { settings } from '../../shared/node/settings';
import { loadTopology } from '../../shared/node/topology';

/** Hermes data at this scale makes a plain dump of about 115 MB: a restore of several seconds here. */
const SCALE = 40;
const STAMP = new Date('2020-01-01T00:00:00Z');
const SOURCE_DATABASE = 'e2e_big_hermes_source';

/**
 * A large hermes backup, for watching a restore in progress. It is built once (kept in the sandbox backup
 * directory, dated 2020 so it is never "latest") from a scratch database in the hermes container.
 */
export async function ensureBigHermesBackup(): Promise<string> {
  const topology = loadTopology(settings.configFile);
  const hermes = topology.services.hermes;
  const file = backupFileName(hermes.backupPattern, 'hermes', STAMP);
  if (existsSync(path.join(hermes.backupDirectory, file))) return file;

  const scratch = { ...topology, services: { hermes: { ...hermes, database: SOURCE_DATABASE } } };
  const psql = ['psql', '-U', hermes.user, '-d', 'postgres', '-v', 'ON_ERROR_STOP=1', '-X', '-c'];
  await execOrThrow(hermes.databaseContainer, [...psql, `DROP DATABASE IF EXISTS ${SOURCE_DATABASE}`]);
  await execOrThrow(hermes.databaseContainer, [...psql, `CREATE DATABASE ${SOURCE_DATABASE}`]);
  try {
    await generateData('hermes', { topology: scratch, scale: SCALE });
    await backupService('hermes', { topology: scratch, timestamp: STAMP });
  } finally {
    await execOrThrow(hermes.databaseContainer, [...psql, `DROP DATABASE IF EXISTS ${SOURCE_DATABASE}`]);
  }
  return file;
}
