import { Client } from 'pg';
import { quoteIdentifier, workerRole } from '../../activities/postgres';
import { readDatabasePassword } from '../../shared/node/secrets';
import type { ServiceConfig } from '../../shared/node/topology';

/**
 * The suite's own connections to the chaos databases, made to survive the faults it injects: an 'error'
 * event of a client whose server was killed is expected here, never a reason to stop the suite.
 */
export async function connect(config: ServiceConfig, database: string): Promise<Client> {
  const client = new Client({
    host: config.host,
    port: config.port,
    // As the worker connects: the operator role where the config names one (its password is the one read).
    user: workerRole(config),
    password: readDatabasePassword(config),
    database,
    connectionTimeoutMillis: 10_000,
    application_name: 'opareta-chaos',
  });
  client.on('error', () => undefined);
  try {
    await client.connect();
  } catch (err) {
    await client.end().catch(() => undefined);
    throw err;
  }
  return client;
}

export async function withDatabase<T>(
  config: ServiceConfig,
  database: string,
  fn: (client: Client) => Promise<T>,
): Promise<T> {
  const client = await connect(config, database);
  try {
    return await fn(client);
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** Every database of the service's server whose name starts with the live one's (`argus_db`, `argus_db_*`). */
export async function databasesOf(config: ServiceConfig): Promise<string[]> {
  return withDatabase(config, 'postgres', async (client) => {
    const { rows } = await client.query<{ datname: string }>(
      "SELECT datname FROM pg_database WHERE datname = $1 OR starts_with(datname, $1 || '_') ORDER BY datname",
      [config.database],
    );
    return rows.map((r) => r.datname);
  });
}

export async function dropDatabaseForce(config: ServiceConfig, database: string): Promise<void> {
  await withDatabase(config, 'postgres', (client) =>
    client.query(`DROP DATABASE IF EXISTS ${quoteIdentifier(database)} WITH (FORCE)`),
  );
}

export async function renameDatabaseForce(config: ServiceConfig, from: string, to: string): Promise<void> {
  await withDatabase(config, 'postgres', async (client) => {
    await client.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1', [from]);
    await client.query(`ALTER DATABASE ${quoteIdentifier(from)} RENAME TO ${quoteIdentifier(to)}`);
  });
}

/** Undoes the apps-unhealthy fault wherever it landed: every database of the service accepts connections again. */
export async function allowConnections(config: ServiceConfig): Promise<void> {
  for (const name of await databasesOf(config)) {
    await withDatabase(config, 'postgres', (client) =>
      client.query(`ALTER DATABASE ${quoteIdentifier(name)} WITH ALLOW_CONNECTIONS true`),
    );
  }
}

/**
 * Roles the restore confinement creates (activities/restore-confinement.ts) that outlived their database: a
 * restore role owns its side, scratch or standby database until the swap hands it over or the database is dropped.
 */
export async function restoreRoles(config: ServiceConfig): Promise<string[]> {
  return withDatabase(config, 'postgres', async (client) => {
    const { rows } = await client.query<{ rolname: string }>(
      `SELECT rolname FROM pg_roles r WHERE starts_with(rolname, 'opareta_restore_')
          AND NOT EXISTS (SELECT 1 FROM pg_database d WHERE d.datdba = r.oid) ORDER BY rolname`,
    );
    return rows.map((r) => r.rolname);
  });
}
