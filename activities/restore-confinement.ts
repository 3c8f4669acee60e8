import { createHash, randomBytes } from 'node:crypto';
import type { Client } from 'pg';
import type { ServiceConfig } from '../shared/node/topology';
import {
  createDatabase,
  dropDatabase,
  MAINTENANCE_DATABASE,
  quoteIdentifier,
  superuserNames,
  type PostgresAccess,
} from './postgres';
import { restoredAsMarker } from './database-swap';
import { dropOrphanedGrantRoles } from './restore-roles';
import { RESTORE_ROLE_PREFIX, sealRestoreRole } from './restored-database';

/**
 * The restore's SQL runs as a throwaway role that is no superuser, may create nothing outside the side
 * database it owns, and logs in with a random password that lives only as long as the restore. Once psql is
 * done, the product hands every object to the service's role (the runbook's REASSIGN OWNED) and drops the
 * role. A trick the dump reader missed therefore reaches the side database and nothing else.
 */
export interface RestoreRole {
  name: string;
  password: string;
}

/** One role per side database, so a retry finds and replaces its predecessor's. */
export function restoreRoleName(targetDatabase: string): string {
  return `${RESTORE_ROLE_PREFIX}${createHash('sha256').update(targetDatabase).digest('hex').slice(0, 16)}`;
}

/** Creates the side database, owned by a new unprivileged role; returns the role and the server's superusers. */
export async function prepareConfinedTarget(
  postgres: PostgresAccess,
  config: ServiceConfig,
  targetDatabase: string,
  connections = 1,
): Promise<{ role: RestoreRole; superusers: string[] }> {
  const role = { name: restoreRoleName(targetDatabase), password: randomBytes(24).toString('hex') };
  return postgres.withClient(config, MAINTENANCE_DATABASE, async (client) => {
    // A previous attempt may have left a half-restored database and its roles: start from nothing.
    await dropRestoreTarget(client, targetDatabase);
    await client.query(
      `CREATE ROLE ${quoteIdentifier(role.name)} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION ` +
        `NOBYPASSRLS CONNECTION LIMIT ${connectionLimit(connections)} PASSWORD ${client.escapeLiteral(role.password)}`,
    );
    // A non-superuser worker may give a database only to a role it is a member of (its CREATEROLE lets it).
    await client.query(`GRANT ${quoteIdentifier(role.name)} TO CURRENT_USER`);
    await createDatabase(client, targetDatabase, role.name);
    // Its identity: a swap retried after a lost answer knows the live database is this one (database-swap.ts).
    await client.query(
      `COMMENT ON DATABASE ${quoteIdentifier(targetDatabase)} IS ${client.escapeLiteral(restoredAsMarker(targetDatabase))}`,
    );
    return { role, superusers: await superuserNames(client) };
  });
}

/**
 * Each restore connection is a psql and a COPY session; one spare for a session a lost attempt left that has
 * not noticed yet.
 */
function connectionLimit(connections: number): number {
  return 2 * connections + 1;
}

/**
 * A retry that resumes keeps the side database and its restore role: the role gets a new password (the old one
 * died with the lost attempt) and the connection limit of this attempt; sessions a lost attempt left are ended,
 * so none of its transactions still holds a lock or loads a unit.
 */
export async function reopenConfinedTarget(
  postgres: PostgresAccess,
  config: ServiceConfig,
  targetDatabase: string,
  connections: number,
): Promise<{ role: RestoreRole; superusers: string[] }> {
  const role = { name: restoreRoleName(targetDatabase), password: randomBytes(24).toString('hex') };
  return postgres.withClient(config, MAINTENANCE_DATABASE, async (client) => {
    await client.query(
      `ALTER ROLE ${quoteIdentifier(role.name)} LOGIN CONNECTION LIMIT ${connectionLimit(connections)} PASSWORD ${client.escapeLiteral(role.password)}`,
    );
    await client.query(
      'SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = $1 AND datname = $2 AND pid <> pg_backend_pid()',
      [role.name, targetDatabase],
    );
    return { role, superusers: await superuserNames(client) };
  });
}

/**
 * The restore is done: the restore role keeps owning what it restored (the checks run as it; the swap hands it
 * over, a drill drops it) but loses its password. The commit waits for the WAL, which puts every unit committed
 * without waiting (synchronous_commit off) on disk before the restore says it is done.
 */
export async function sealRestoredDatabase(
  postgres: PostgresAccess,
  config: ServiceConfig,
  roleName: string,
): Promise<void> {
  await postgres.withClient(config, MAINTENANCE_DATABASE, (client) => sealRestoreRole(client, roleName));
}

/**
 * Drops a (side, scratch, old) database with what a restore into it created: the restore role named after it
 * and the roles created for its grants that nothing else needs any more (restore-roles.ts). Idempotent; run in
 * the maintenance database. Returns the grant roles dropped.
 */
export async function dropRestoreTarget(client: Client, database: string): Promise<string[]> {
  // Its owner, when not handed over yet: the restore role named after it (dropped below with the database).
  const owner = await client.query<{ owner: string; template: boolean }>(
    `SELECT pg_catalog.pg_get_userbyid(datdba) AS owner, datistemplate AS template
       FROM pg_catalog.pg_database WHERE datname = $1`,
    [database],
  );
  // A backup's function may have made it a template (as its owner), which DROP DATABASE refuses.
  if (owner.rows[0]?.template) await client.query(`ALTER DATABASE ${quoteIdentifier(database)} IS_TEMPLATE false`);
  await dropDatabase(client, database);
  await dropRoleIfExists(client, restoreRoleName(database));
  const restoreOwner = owner.rows[0]?.owner;
  if (restoreOwner?.startsWith(RESTORE_ROLE_PREFIX)) await dropRoleIfExists(client, restoreOwner);
  return dropOrphanedGrantRoles(client);
}

async function dropRoleIfExists(client: Client, name: string): Promise<void> {
  await client.query(`DROP ROLE IF EXISTS ${quoteIdentifier(name)}`);
}

/** psql 15.14, 16.10, 17.6, 14.19, 13.22 and later know `\restrict`, which refuses every meta-command after it. */
export function psqlSupportsRestrict(versionOutput: string): boolean {
  const match = /(\d+)\.(\d+)/.exec(versionOutput);
  if (!match) return false;
  const [major, minor] = [Number(match[1]), Number(match[2])];
  const firstMinor: Record<number, number> = { 13: 22, 14: 19, 15: 14, 16: 10, 17: 6 };
  return major >= 18 || (firstMinor[major] !== undefined && minor >= firstMinor[major]);
}

/** A `\restrict` key: psql allows only `\unrestrict` with the same key, which the stream never holds. */
export function newRestrictKey(): string {
  return randomBytes(24).toString('hex');
}
