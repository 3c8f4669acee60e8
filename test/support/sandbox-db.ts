import path from 'node:path';
import { scanBackupFile } from '../../activities/backup-integrity';
import { listBackupCatalog } from '../../activities/backup-catalog';
import {
  createPostgresAccess,
  databaseSize,
  quoteIdentifier,
  tableCounts,
  terminateBackends,
} from '../../activities/postgres';
import { dropRestoreTarget } from '../../activities/restore-confinement';
import type { BackupInfo, TableCount } from '../../shared/activity-contract';
import { readDatabasePassword } from '../../shared/node/secrets';
import { settings } from '../../shared/node/settings';
import { getService, loadTopology, type ServiceConfig } from '../../shared/node/topology';

/** Read-only views of the sandbox for end-to-end assertions, through the same pg helpers as the activities. */
const postgres = createPostgresAccess(readDatabasePassword);

export function sandboxService(service: string): ServiceConfig {
  return getService(loadTopology(settings.configFile), service);
}

export async function liveRowCounts(service: string, database?: string): Promise<TableCount[]> {
  const config = sandboxService(service);
  return postgres.withClient(config, database ?? config.database, tableCounts);
}

export async function databasesOf(service: string): Promise<string[]> {
  const config = sandboxService(service);
  return postgres.withClient(config, 'postgres', async (client) => {
    const { rows } = await client.query<{ datname: string }>(
      'SELECT datname FROM pg_database WHERE NOT datistemplate ORDER BY datname',
    );
    return rows.map((r) => r.datname);
  });
}

/** pg_database_size of a sandbox database, read here to check what the worker reported. */
export async function databaseBytes(service: string, database?: string): Promise<number> {
  const config = sandboxService(service);
  return postgres.withClient(config, 'postgres', (client) => databaseSize(client, database ?? config.database));
}

/** Drops what restores kept for the SRE (pre_restore, failed_restore) so tests do not fill the disk. */
export async function dropKeptDatabases(service: string): Promise<string[]> {
  const config = sandboxService(service);
  const kept = (await databasesOf(service)).filter((name) => name.startsWith(`${config.database}_`));
  await postgres.withClient(config, 'postgres', async (client) => {
    for (const name of kept) {
      await terminateBackends(client, name);
      await dropRestoreTarget(client, name);
    }
  });
  return kept;
}

/**
 * Drops the service's `<db>_*` databases that are not in `before` (a test's standbys, pre_restore copies): what a
 * test made goes, what was there before stays. Standbys take no connections; DROP ... FORCE needs none.
 */
export async function dropDatabasesNotIn(service: string, before: string[]): Promise<string[]> {
  const config = sandboxService(service);
  const made = (await databasesOf(service)).filter(
    (name) => name.startsWith(`${config.database}_`) && !before.includes(name),
  );
  await postgres.withClient(config, 'postgres', async (client) => {
    for (const name of made) await dropRestoreTarget(client, name);
  });
  return made;
}

/** The warm standbys (`<db>_standby_*`) of every sandbox service, by service. */
export async function standbysByService(): Promise<Record<string, string[]>> {
  const topology = loadTopology(settings.configFile);
  const entries = await Promise.all(
    Object.entries(topology.services).map(async ([service, config]) => {
      const names = (await databasesOf(service)).filter((n) => n.startsWith(`${config.database}_standby_`));
      return [service, names] as const;
    }),
  );
  return Object.fromEntries(entries);
}

/** Drops the standbys a test file's drills kept (config/sandbox.json turns the standby on): those not in `before`. */
export async function dropNewStandbys(before: Record<string, string[]>): Promise<void> {
  const now = await standbysByService();
  for (const [service, names] of Object.entries(now)) {
    const made = names.filter((name) => !(before[service] ?? []).includes(name));
    if (made.length === 0) continue;
    await postgres.withClient(sandboxService(service), 'postgres', async (client) => {
      for (const name of made) await dropRestoreTarget(client, name);
    });
  }
}

export async function backups(service: string): Promise<BackupInfo[]> {
  return (await listBackupCatalog(service, sandboxService(service))).backups;
}

export async function manifestRowCounts(service: string, file: string): Promise<TableCount[]> {
  const summary = await scanBackupFile(path.join(sandboxService(service).backupDirectory, file), file);
  return summary.tables;
}

export function sortCounts(counts: TableCount[]): TableCount[] {
  return [...counts].sort((a, b) => a.table.localeCompare(b.table));
}

export { quoteIdentifier };
