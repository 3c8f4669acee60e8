import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import { Client } from 'pg';
import type { TableCount } from '../shared/activity-contract';
import { ErrorType } from '../shared/errors';
import type { ServiceConfig } from '../shared/node/topology';
import { errorMessage, failure } from './errors';

/** The database every server has, used for CREATE/DROP/RENAME DATABASE and cluster-wide statements. */
export const MAINTENANCE_DATABASE = 'postgres';
const SYSTEM_DATABASES = new Set(['postgres', 'template0', 'template1']);

export type PasswordReader = (config: ServiceConfig) => string;

/**
 * Every session the product opens resolves names in pg_catalog alone: a backup's `public.quote_ident(name)`, a
 * `count(*)` aggregate of its own schema or a schema named like the role (`"$user"`) is never a candidate, since
 * PostgreSQL picks an exact type match from any schema on the path over a pg_catalog function that needs a cast.
 * Connection options come after the database's and the role's own settings (ALTER DATABASE/ROLE ... SET), so a
 * setting a backup planted cannot undo it. Temporary objects are looked up last, functions never there.
 */
export const PINNED_SEARCH_PATH = 'pg_catalog, pg_temp';
/**
 * Row security off: a policy of the backup's never runs in a product session (on a table whose owner the session
 * has the privileges of, with FORCE ROW LEVEL SECURITY, it would run as the session's role); the query fails
 * instead, and the count falls back to an estimate or lifts the policy (tableCounts).
 */
const PINNED_OPTIONS = '-c search_path=pg_catalog,pg_temp -c row_security=off';

/** Who a session logs in as, when not the service's configured role (a restored database's throwaway owner). */
export interface Login {
  user: string;
  password: string;
  /** More `-c name=value` options for the session, after the pinned search_path. */
  options?: string;
  applicationName?: string;
}

export interface PostgresAccess {
  /** Opens a connection to one database of a service, runs `fn`, and always closes it. */
  withClient<T>(config: ServiceConfig, database: string, fn: (client: Client) => Promise<T>, login?: Login): Promise<T>;
}

/** The role the worker's own sessions log in as. */
export function workerRole(config: ServiceConfig): string {
  return config.operator?.user ?? config.user;
}

export function createPostgresAccess(readPassword: PasswordReader): PostgresAccess {
  return {
    async withClient(config, database, fn, login) {
      // The operator role when the service names one: the service's own role is the apps'.
      const user = login?.user ?? workerRole(config);
      const where = `database ${database} as ${user} at ${config.host}:${config.port}`;
      const client = new Client({
        host: config.host,
        port: config.port,
        user,
        password: login?.password ?? readPassword(config),
        database,
        options: [PINNED_OPTIONS, login?.options].filter(Boolean).join(' '),
        connectionTimeoutMillis: 10_000,
        application_name: login?.applicationName ?? 'opareta-dr',
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

/** The owner of a database; undefined when it does not exist. */
export async function databaseOwner(client: Client, name: string): Promise<string | undefined> {
  const result = await client.query<{ owner: string }>(
    'SELECT pg_catalog.pg_get_userbyid(datdba) AS owner FROM pg_catalog.pg_database WHERE datname = $1',
    [name],
  );
  return result.rows[0]?.owner;
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

/** User tables: ordinary and partitioned, outside the system, TOAST and temporary schemas. */
const USER_TABLES = `c.relkind IN ('r', 'p') AND n.nspname NOT IN ('pg_catalog', 'information_schema')
        AND n.nspname NOT LIKE 'pg\\_toast%' AND n.nspname NOT LIKE 'pg\\_temp%'`;

/**
 * Tables with exact row counts; ONLY, as a dump's COPY of a parent excludes its children's (partitions') rows.
 * `liftForcedPolicies` (a restored database, counted as the tables' owner): a table whose dump forces row-level
 * security on its owner is counted with the policy lifted for that one query, in a transaction rolled back, so
 * a policy neither hides rows from the count nor runs the backup's code in it.
 */
export async function tableCounts(
  client: Client,
  onTable?: (done: number, total: number) => void,
  options: { liftForcedPolicies?: boolean } = {},
): Promise<TableCount[]> {
  const tables = await client.query<{ name: string; schema: string; table: string; forced: boolean }>(
    `SELECT pg_catalog.quote_ident(n.nspname) || '.' || pg_catalog.quote_ident(c.relname) AS name,
            n.nspname AS schema, c.relname AS table, c.relforcerowsecurity AS forced
       FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
      WHERE ${USER_TABLES}
      ORDER BY 1`,
  );
  const counts: TableCount[] = [];
  for (const t of tables.rows) {
    const rows =
      t.forced && options.liftForcedPolicies
        ? await countRowsWithoutForcedPolicy(client, t.schema, t.table)
        : await countRows(client, t.schema, t.table);
    counts.push({ table: t.name, rows });
    onTable?.(counts.length, tables.rows.length);
  }
  return counts;
}

export async function countRows(client: Client, schema: string, table: string): Promise<number> {
  const result = await client.query<{ count: string }>(
    `SELECT pg_catalog.count(*) AS count FROM ONLY ${quoteIdentifier(schema)}.${quoteIdentifier(table)}`,
  );
  return Number(result.rows[0].count);
}

async function countRowsWithoutForcedPolicy(client: Client, schema: string, table: string): Promise<number> {
  await client.query('BEGIN');
  try {
    await client.query(
      `ALTER TABLE ONLY ${quoteIdentifier(schema)}.${quoteIdentifier(table)} NO FORCE ROW LEVEL SECURITY`,
    );
    return await countRows(client, schema, table);
  } finally {
    await client.query('ROLLBACK');
  }
}

/** A table of a database with what the catalog and the statistics know of it, read without locking it. */
export interface TableStatistics {
  /** Schema-qualified and quoted as needed, e.g. public."Order Items". */
  name: string;
  schema: string;
  table: string;
  oid: number;
  /** Pages and rows at the last VACUUM/ANALYZE; reltuples is -1 when never analysed. */
  relpages: number;
  reltuples: number;
  /** Live rows as the statistics collector counts them (inserts minus deletes). */
  liveTuples: number;
}

/** Every user table with what the catalog knows of it: no table is opened or locked, fast on any size. */
export async function tableStatistics(client: Client): Promise<TableStatistics[]> {
  const result = await client.query<{
    name: string;
    schema: string;
    table: string;
    oid: string;
    relpages: number;
    reltuples: number;
    live: string | null;
  }>(
    `SELECT pg_catalog.quote_ident(n.nspname) || '.' || pg_catalog.quote_ident(c.relname) AS name,
            n.nspname AS schema, c.relname AS table,
            c.oid::int8 AS oid, c.relpages, c.reltuples::float8 AS reltuples, s.n_live_tup AS live
       FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
       LEFT JOIN pg_catalog.pg_stat_user_tables s ON s.relid = c.oid
      WHERE ${USER_TABLES}
      ORDER BY 1`,
  );
  return result.rows.map((r) => ({
    name: r.name,
    schema: r.schema,
    table: r.table,
    oid: Number(r.oid),
    relpages: r.relpages,
    reltuples: r.reltuples,
    liveTuples: Number(r.live ?? 0),
  }));
}

/** The size of a table's main fork: what count(*) reads. pg_relation_size takes the table's AccessShareLock. */
export async function relationSize(client: Client, oid: number): Promise<number> {
  const result = await client.query<{ bytes: string }>('SELECT pg_relation_size($1::oid) AS bytes', [oid]);
  return Number(result.rows[0].bytes);
}

/** The page size of the server, to scale the planner's rows per page to the current size. */
export async function blockSize(client: Client): Promise<number> {
  const result = await client.query<{ size: string }>("SELECT current_setting('block_size') AS size");
  return Number(result.rows[0].size);
}

/** The sizes of those of `names` that exist, by name. */
export async function databaseSizes(client: Client, names: string[]): Promise<Record<string, number>> {
  const result = await client.query<{ datname: string; size: string }>(
    'SELECT datname, pg_database_size(datname) AS size FROM pg_database WHERE datname = ANY($1::text[])',
    [names],
  );
  return Object.fromEntries(result.rows.map((row) => [row.datname, Number(row.size)]));
}

export async function databaseSize(client: Client, name: string): Promise<number> {
  const result = await client.query<{ size: string }>('SELECT pg_database_size($1) AS size', [name]);
  return Number(result.rows[0].size);
}
