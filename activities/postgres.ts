import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import { Client } from 'pg';
import type { TableCount } from '../shared/activity-contract';
import { ErrorType } from '../shared/errors';
import type { ServiceConfig } from '../shared/topology';
import { errorMessage, failure } from './errors';

/** The database every server has, used for CREATE/DROP/RENAME DATABASE and cluster-wide statements. */
export const MAINTENANCE_DATABASE = 'postgres';
const SYSTEM_DATABASES = new Set(['postgres', 'template0', 'template1']);

export type PasswordReader = (config: ServiceConfig) => string;

export interface PostgresAccess {
  /** Opens a connection to one database of a service, runs `fn`, and always closes it. */
  withClient<T>(config: ServiceConfig, database: string, fn: (client: Client) => Promise<T>): Promise<T>;
}

export function createPostgresAccess(readPassword: PasswordReader): PostgresAccess {
  return {
    async withClient(config, database, fn) {
      const where = `database ${database} as ${config.user} at ${config.host}:${config.port}`;
      const client = new Client({
        host: config.host,
        port: config.port,
        user: config.user,
        password: readPassword(config),
        database,
        connectionTimeoutMillis: 10_000,
        application_name: 'opareta-dr',
        // A server that vanishes without closing the socket (host down, network cut) is noticed too.
        keepAlive: true,
      });
      // node-postgres emits 'error' when the connection drops (server restarted, container killed), even
      // between queries; without a listener that event ends the worker. The query in flight and every later
      // one fail on their own, so the activity attempt fails and Temporal retries it.
      let lost: Error | undefined;
      client.on('error', (err) => {
        lost ??= err;
        warnInActivity(`connection to ${where} lost: ${err.message}`);
      });
      try {
        await client.connect();
      } catch (err) {
        await client.end().catch(() => undefined);
        throw new Error(`cannot connect to ${where}: ${errorMessage(err)}`, { cause: err });
      }
      try {
        return await fn(client);
      } catch (err) {
        if (lost && !(err instanceof ApplicationFailure)) {
          throw new Error(`connection to ${where} lost: ${lost.message} (${errorMessage(err)})`, { cause: err });
        }
        throw err;
      } finally {
        await client.end().catch(() => undefined);
      }
    },
  };
}

/** The activity's logger when there is an activity (tests and scripts call these helpers outside one). */
function warnInActivity(message: string): void {
  try {
    Context.current().log.warn(message);
  } catch {
    console.warn(message);
  }
}

/** Quotes an identifier for SQL: always, whatever its spelling. */
export function quoteIdentifier(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

/** Database names from input: quoted anyway, but kept to a spelling an SRE can type and read. */
export function assertDatabaseName(name: string, field = 'database'): void {
  if (typeof name !== 'string' || !/^[A-Za-z_][A-Za-z0-9_$-]{0,62}$/.test(name)) {
    throw failure(
      ErrorType.InvalidInput,
      `${field} ${JSON.stringify(name)} is not a database name (letters, digits, _ $ -, at most 63 characters)`,
    );
  }
}

/** Refuses to destroy or overwrite the live database or a system database. */
export function assertNotLiveDatabase(service: string, config: ServiceConfig, name: string, action: string): void {
  assertDatabaseName(name);
  if (name === config.database) {
    throw failure(ErrorType.RefuseLiveDatabase, `refusing to ${action} ${name}: it is the live database of ${service}`);
  }
  if (SYSTEM_DATABASES.has(name)) {
    throw failure(ErrorType.InvalidInput, `refusing to ${action} ${name}: it is a PostgreSQL system database`);
  }
}

export async function serverVersion(client: Client): Promise<string> {
  const result = await client.query<{ server_version: string }>('SHOW server_version');
  return result.rows[0].server_version;
}

export async function superuserNames(client: Client): Promise<string[]> {
  const result = await client.query<{ rolname: string }>('SELECT rolname FROM pg_roles WHERE rolsuper');
  return result.rows.map((r) => r.rolname);
}

export async function databaseExists(client: Client, name: string): Promise<boolean> {
  const result = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
  return (result.rowCount ?? 0) > 0;
}

/** Ends every other session on a database; returns how many. */
export async function terminateBackends(client: Client, name: string): Promise<number> {
  const result = await client.query<{ terminated: boolean }>(
    'SELECT pg_terminate_backend(pid) AS terminated FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()',
    [name],
  );
  return result.rows.filter((r) => r.terminated).length;
}

/** Drops a database if it exists; FORCE ends its sessions first (PostgreSQL 13+). */
export async function dropDatabase(client: Client, name: string): Promise<void> {
  await client.query(`DROP DATABASE IF EXISTS ${quoteIdentifier(name)} WITH (FORCE)`);
}

export async function createDatabase(client: Client, name: string, owner: string): Promise<void> {
  await client.query(`CREATE DATABASE ${quoteIdentifier(name)} OWNER ${quoteIdentifier(owner)}`);
}

export async function renameDatabase(client: Client, from: string, to: string): Promise<void> {
  await terminateBackends(client, from);
  await client.query(`ALTER DATABASE ${quoteIdentifier(from)} RENAME TO ${quoteIdentifier(to)}`);
}

/** The runbook's fix for permission errors: objects of `from` now belong to `to`. Run inside the database. */
export async function reassignOwned(client: Client, from: string, to: string): Promise<void> {
  await client.query(`REASSIGN OWNED BY ${quoteIdentifier(from)} TO ${quoteIdentifier(to)}`);
}

/** Creates the roles that do not exist yet, NOLOGIN; returns the ones it created. */
export async function createMissingRoles(client: Client, roles: string[]): Promise<string[]> {
  if (roles.length === 0) return [];
  const existing = await client.query<{ rolname: string }>('SELECT rolname FROM pg_roles WHERE rolname = ANY($1)', [
    roles,
  ]);
  const present = new Set(existing.rows.map((r) => r.rolname));
  const created: string[] = [];
  for (const role of roles.filter((r) => !present.has(r))) {
    try {
      await client.query(`CREATE ROLE ${quoteIdentifier(role)} NOLOGIN`);
      created.push(role);
    } catch (err) {
      // 42710: another restore created it a moment ago.
      if ((err as { code?: string }).code !== '42710') throw err;
    }
  }
  return created;
}

/** Tables with exact row counts; ONLY, as a dump's COPY of a parent excludes its children's (partitions') rows. */
export async function tableCounts(client: Client): Promise<TableCount[]> {
  const tables = await client.query<{ name: string; schema: string; table: string }>(
    `SELECT quote_ident(n.nspname) || '.' || quote_ident(c.relname) AS name, n.nspname AS schema, c.relname AS table
       FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE c.relkind IN ('r', 'p') AND n.nspname NOT IN ('pg_catalog', 'information_schema')
        AND n.nspname NOT LIKE 'pg\\_toast%' AND n.nspname NOT LIKE 'pg\\_temp%'
      ORDER BY 1`,
  );
  const counts: TableCount[] = [];
  for (const t of tables.rows) {
    const result = await client.query<{ count: string }>(
      `SELECT count(*) AS count FROM ONLY ${quoteIdentifier(t.schema)}.${quoteIdentifier(t.table)}`,
    );
    counts.push({ table: t.name, rows: Number(result.rows[0].count) });
  }
  return counts;
}

export async function databaseSize(client: Client, name: string): Promise<number> {
  const result = await client.query<{ size: string }>('SELECT pg_database_size($1) AS size', [name]);
  return Number(result.rows[0].size);
}
