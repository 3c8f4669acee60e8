import { existsSync } from 'node:fs';
import path from 'node:path';
import { backupFileName, backupService, generateData } from '../../sandbox';
import { execOrThrow } from '../../shared/node/docker';
import { settings } from '../../shared/node/settings';
import { loadTopology } from '../../shared/node/topology';

/** Argus data at this scale makes a plain dump of about 200 MB: a restore of 20 s or more here. */
const SCALE = 50;
const STAMP = new Date('2020-01-01T01:00:00Z');
const SOURCE_DATABASE = 'e2e_big_argus_source';

/**
 * A large argus backup, for killing the database in the middle of its restore. Built once, as
 * big-backup.ts builds the hermes one: kept in the sandbox backup directory, dated 2020 so it is never
 * "latest", made by the sandbox's own pg_dump from a scratch database in the argus container.
 */
export async function ensureBigArgusBackup(): Promise<string> {
  const topology = loadTopology(settings.configFile);
  const argus = topology.services.argus;
  const file = backupFileName(argus.backupPattern, 'argus', STAMP);
  if (existsSync(path.join(argus.backupDirectory, file))) return file;

  const scratch = { ...topology, services: { argus: { ...argus, database: SOURCE_DATABASE } } };
  const psql = ['psql', '-U', argus.user, '-d', 'postgres', '-v', 'ON_ERROR_STOP=1', '-X', '-c'];
  await execOrThrow(argus.databaseContainer, [...psql, `DROP DATABASE IF EXISTS ${SOURCE_DATABASE}`]);
  await execOrThrow(argus.databaseContainer, [...psql, `CREATE DATABASE ${SOURCE_DATABASE}`]);
  try {
    await generateData('argus', { topology: scratch, scale: SCALE });
    await backupService('argus', { topology: scratch, timestamp: STAMP });
  } finally {
    await execOrThrow(argus.databaseContainer, [...psql, `DROP DATABASE IF EXISTS ${SOURCE_DATABASE}`]);
  }
  return file;
}
