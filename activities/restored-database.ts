import { randomBytes } from 'node:crypto';
import type { Client } from 'pg';
import { ErrorType } from '../shared/errors';
import type { ServiceConfig } from '../shared/node/topology';
import { failure } from './errors';
import { databaseOwner, MAINTENANCE_DATABASE, quoteIdentifier, type PostgresAccess } from './postgres';

/**
 * A database a backup built (a side, scratch or standby database) holds the backup's code: views, functions,
 * policies, triggers, index expressions. The product's own sessions in it run as its owner, the throwaway
 * restore role (no superuser, no membership, no attribute beyond LOGIN), so whatever code a check reaches runs
 * with that role's rights and touches nothing outside the database. The role's password is made anew for each
 * session group and never kept; between them the role has none.
 */
export const RESTORE_ROLE_PREFIX = 'opareta_restore_';

interface OwnerRow {
  rolname: string;
  rolsuper: boolean;
  rolcreaterole: boolean;
  rolcreatedb: boolean;
  rolreplication: boolean;
  rolbypassrls: boolean;
  member: boolean;
}

/** What a role may do beyond its own objects: any of these, and code that runs as it is not confined. */
export async function powersOf(client: Client, role: string): Promise<string[]> {
  const result = await client.query<OwnerRow>(
    `SELECT r.rolname, r.rolsuper, r.rolcreaterole, r.rolcreatedb, r.rolreplication, r.rolbypassrls,
            EXISTS (SELECT 1 FROM pg_catalog.pg_auth_members m WHERE m.member = r.oid) AS member
       FROM pg_catalog.pg_roles r WHERE r.rolname = $1`,
    [role],
  );
  const row = result.rows[0];
  if (!row) return [];
  return [
    row.rolsuper && 'SUPERUSER',
    row.rolcreaterole && 'CREATEROLE',
    row.rolcreatedb && 'CREATEDB',
    row.rolreplication && 'REPLICATION',
    row.rolbypassrls && 'BYPASSRLS',
    row.member && 'a role membership',
  ].filter((p): p is string => Boolean(p));
}

/** The owner of `database` when it is a throwaway restore role; undefined when the database does not exist. */
export async function throwawayOwner(client: Client, database: string): Promise<string | undefined> {
  const owner = await databaseOwner(client, database);
  if (owner === undefined) return undefined;
  const powers = await powersOf(client, owner);
  if (!owner.startsWith(RESTORE_ROLE_PREFIX) || powers.length > 0) {
    throw failure(
      ErrorType.SwapStateUnexpected,
      `refusing to run checks in ${database}: it belongs to ${owner}` +
        (powers.length > 0 ? ` (${powers.join(', ')})` : '') +
        `, not to a throwaway ${RESTORE_ROLE_PREFIX}* role without privileges; the backup's code would run with its rights`,
    );
  }
  return owner;
}

/**
 * Runs `fn` in a restored database as its throwaway owner, after its database-level state is reset to what a
 * new database has (resetDatabaseState). Row security is off in the session: a policy never filters a count
 * silently, it fails the query instead.
 */
export async function withRestoredDatabase<T>(
  postgres: PostgresAccess,
  config: ServiceConfig,
  database: string,
  fn: (client: Client) => Promise<T>,
): Promise<T> {
  const login = await postgres.withClient(config, MAINTENANCE_DATABASE, async (client) => {
    const owner = await throwawayOwner(client, database);
    if (!owner) throw new Error(`database ${database} does not exist`);
    await resetDatabaseState(client, database, owner);
    // Sessions a lost attempt of the restore left (a killed worker's) would count against the role's connection
    // limit: a retry reading the ledger must not be refused by them. Nothing else runs as this role now.
    await client.query(
      `SELECT pg_catalog.pg_terminate_backend(pid) FROM pg_catalog.pg_stat_activity
        WHERE usename = $1 AND pid <> pg_catalog.pg_backend_pid()`,
      [owner],
    );
    const password = randomBytes(24).toString('hex');
    await client.query(`ALTER ROLE ${quoteIdentifier(owner)} LOGIN PASSWORD ${client.escapeLiteral(password)}`);
    return { user: owner, password, applicationName: 'opareta-dr-check' };
  });
  try {
    return await postgres.withClient(config, database, fn, login);
  } finally {
    // Between session groups nobody can log in as it, whatever password the backup's code gave it meanwhile.
    await postgres.withClient(config, MAINTENANCE_DATABASE, (client) => sealRestoreRole(client, login.user));
  }
}

/**
 * The restore role keeps no login once its work is done: NOLOGIN (a role cannot give itself LOGIN back) and no
 * password, until the next session group the product opens as it.
 */
export async function sealRestoreRole(client: Client, role: string): Promise<void> {
  await client.query(`ALTER ROLE ${quoteIdentifier(role)} NOLOGIN PASSWORD NULL`);
}

/**
 * What no plain pg_dump of one database sets, and a backup's function could have set with EXECUTE as the
 * database's owner, goes back to a new database's: per-database and per-role-in-database settings (a search_path
 * that puts the backup's schema first, a statement_timeout), the owner role's own settings, connection limit,
 * IS_TEMPLATE (which would make the database impossible to drop), ALLOW_CONNECTIONS and the database's ACL.
 * Run in the maintenance database.
 */
export async function resetDatabaseState(client: Client, database: string, restoreRole?: string): Promise<void> {
  const db = quoteIdentifier(database);
  await client.query(`ALTER DATABASE ${db} RESET ALL`);
  await client.query(`ALTER DATABASE ${db} WITH ALLOW_CONNECTIONS true CONNECTION LIMIT -1 IS_TEMPLATE false`);
  if (restoreRole) await client.query(`ALTER ROLE ${quoteIdentifier(restoreRole)} RESET ALL`);
  const roleSettings = await client.query<{ rolname: string }>(
    `SELECT r.rolname FROM pg_catalog.pg_db_role_setting s
       JOIN pg_catalog.pg_database d ON d.oid = s.setdatabase JOIN pg_catalog.pg_roles r ON r.oid = s.setrole
      WHERE d.datname = $1`,
    [database],
  );
  for (const { rolname } of roleSettings.rows) {
    await client.query(`ALTER ROLE ${quoteIdentifier(rolname)} IN DATABASE ${db} RESET ALL`);
  }
  for (const grantee of await databaseGrantees(client, database)) {
    await client.query(`REVOKE ALL ON DATABASE ${db} FROM ${grantee}`);
  }
  await client.query(`GRANT CONNECT, TEMPORARY ON DATABASE ${db} TO PUBLIC`);
}

/** Every grantee of a database's ACL but its owner, as SQL (PUBLIC or a quoted role). */
async function databaseGrantees(client: Client, database: string): Promise<string[]> {
  const result = await client.query<{ grantee: string | null }>(
    `SELECT DISTINCT r.rolname AS grantee
       FROM pg_catalog.pg_database d CROSS JOIN LATERAL pg_catalog.aclexplode(d.datacl) a
       LEFT JOIN pg_catalog.pg_roles r ON r.oid = a.grantee
      WHERE d.datname = $1 AND a.grantee <> d.datdba`,
    [database],
  );
  return result.rows.map((row) => (row.grantee === null ? 'PUBLIC' : quoteIdentifier(row.grantee)));
}

/**
 * At the swap the restored database takes over the live one's database-level state, so the apps find what they
 * had: its settings (per database and per role in it), connection limit and grants. Run in the maintenance
 * database, after resetDatabaseState of `to`.
 */
export async function adoptDatabaseState(client: Client, from: string, to: string): Promise<void> {
  const target = quoteIdentifier(to);
  const source = await client.query<{ datconnlimit: number }>(
    'SELECT datconnlimit FROM pg_catalog.pg_database WHERE datname = $1',
    [from],
  );
  if (source.rows.length === 0) return; // No live database (restored after a loss): a new database's state.
  await client.query(`ALTER DATABASE ${target} WITH CONNECTION LIMIT ${Number(source.rows[0].datconnlimit)}`);
  const settings = await client.query<{ rolname: string | null; setting: string }>(
    `SELECT r.rolname, c.setting
       FROM pg_catalog.pg_db_role_setting s JOIN pg_catalog.pg_database d ON d.oid = s.setdatabase
       LEFT JOIN pg_catalog.pg_roles r ON r.oid = s.setrole
       CROSS JOIN LATERAL pg_catalog.unnest(s.setconfig) AS c(setting)
      WHERE d.datname = $1`,
    [from],
  );
  for (const { rolname, setting } of settings.rows) {
    const at = setting.indexOf('=');
    const name = quoteIdentifier(setting.slice(0, at));
    const value = client.escapeLiteral(setting.slice(at + 1));
    const on = rolname === null ? `DATABASE ${target}` : `ROLE ${quoteIdentifier(rolname)} IN DATABASE ${target}`;
    await client.query(`ALTER ${on} SET ${name} = ${value}`);
  }
  const grants = await client.query<{ grantee: string | null; privilege: string; grantable: boolean }>(
    `SELECT r.rolname AS grantee, a.privilege_type AS privilege, a.is_grantable AS grantable
       FROM pg_catalog.pg_database d CROSS JOIN LATERAL pg_catalog.aclexplode(d.datacl) a
       LEFT JOIN pg_catalog.pg_roles r ON r.oid = a.grantee
      WHERE d.datname = $1 AND a.grantee <> d.datdba`,
    [from],
  );
  const explicit = await client.query<{ acl: boolean }>(
    'SELECT datacl IS NOT NULL AS acl FROM pg_catalog.pg_database WHERE datname = $1',
    [from],
  );
  if (!explicit.rows[0]?.acl) return; // The live database had the default grants, as the reset left them.
  await client.query(`REVOKE ALL ON DATABASE ${target} FROM PUBLIC`);
  for (const { grantee, privilege, grantable } of grants.rows) {
    const to = grantee === null ? 'PUBLIC' : quoteIdentifier(grantee);
    await client.query(
      `GRANT ${privilege} ON DATABASE ${target} TO ${to}${grantable && grantee !== null ? ' WITH GRANT OPTION' : ''}`,
    );
  }
}
