import { log } from '@temporalio/activity';
import type { Client } from 'pg';
import { ErrorType } from '../shared/errors';
import { ownerRoleName } from '../shared/node/server-setup';
import type { ServiceConfig } from '../shared/node/topology';
import { failure } from './errors';
import { MAINTENANCE_DATABASE, quoteIdentifier, type PostgresAccess } from './postgres';
import { adoptDatabaseState, RESTORE_ROLE_PREFIX, resetDatabaseState, throwawayOwner } from './restored-database';

/**
 * Who owns what a backup restored, once it goes live. Never a superuser: the owner's rights are what a
 * SECURITY DEFINER function, a view or an index expression that autovacuum evaluates run with. The service's
 * role when it is no superuser; otherwise `<role>_owner`, a NOLOGIN role without attributes that the service's
 * role is made a member of (a superuser needs no membership to use the objects; the grant keeps them usable
 * the day the role stops being one). `opareta-dr setup-roles` creates it up front; it is created here when
 * missing.
 */
export async function restoredObjectsOwner(client: Client, config: ServiceConfig): Promise<string> {
  if (!(await isSuperuser(client, config.user))) return config.user;
  const owner = ownerRoleName(config.user);
  const existing = await client.query<{ rolsuper: boolean }>(
    'SELECT rolsuper FROM pg_catalog.pg_roles WHERE rolname = $1',
    [owner],
  );
  if (existing.rows.length === 0) {
    await client
      .query(
        `CREATE ROLE ${quoteIdentifier(owner)} NOLOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS`,
      )
      .catch((err: unknown) => {
        if ((err as { code?: string }).code !== '42710') throw err; // created by a concurrent restore
      });
    await client.query(`GRANT ${quoteIdentifier(owner)} TO ${quoteIdentifier(config.user)}`);
    // REASSIGN OWNED hands objects only to a role the worker is a member of (a superuser worker needs nothing).
    await client.query(`GRANT ${quoteIdentifier(owner)} TO CURRENT_USER`);
  } else if (existing.rows[0].rolsuper) {
    throw failure(
      ErrorType.ConfigError,
      `${owner}, the owner restored objects are given because ${config.user} is a superuser, is a superuser itself: ` +
        `ALTER ROLE ${quoteIdentifier(owner)} NOSUPERUSER`,
    );
  }
  log.warn(SUPERUSER_SERVICE_ROLE_RISK, { role: config.user, owner });
  return owner;
}

export const SUPERUSER_SERVICE_ROLE_RISK =
  "the service's role is a superuser: restored objects go to a separate owner role instead, but the apps still " +
  'connect with every right on the server; make the role NOSUPERUSER (see the README, "Least privilege")';

async function isSuperuser(client: Client, role: string): Promise<boolean> {
  const result = await client.query<{ rolsuper: boolean }>(
    'SELECT rolsuper FROM pg_catalog.pg_roles WHERE rolname = $1',
    [role],
  );
  return result.rows[0]?.rolsuper === true;
}

/**
 * Right before the swap: the restored database gets the live one's database-level state (settings, limits,
 * grants; nothing the backup set survives), and its objects go from the throwaway restore role to the service's
 * owner, which is then dropped. REASSIGN OWNED and DROP OWNED are the only statements the product runs inside a
 * restored database with more than the restore role's rights: utility commands that run none of the backup's
 * code (no trigger fires on them; event triggers need a superuser to create, and the dump reader refuses them).
 * Idempotent: a database already handed over (an earlier attempt, or a restore of an older release) is left as
 * it is; a missing one (already swapped) is nothing to do.
 */
export async function handOverRestoredDatabase(
  postgres: PostgresAccess,
  config: ServiceConfig,
  database: string,
  live: string,
): Promise<void> {
  const plan = await postgres.withClient(config, MAINTENANCE_DATABASE, async (client) => {
    const owner = await ownerName(client, database);
    if (owner === undefined || !owner.startsWith(RESTORE_ROLE_PREFIX)) return undefined;
    const restoreRole = (await throwawayOwner(client, database))!;
    await resetDatabaseState(client, database, restoreRole);
    await adoptDatabaseState(client, live, database);
    return { restoreRole, newOwner: await restoredObjectsOwner(client, config) };
  });
  if (!plan) return;
  await postgres.withClient(config, database, async (client) => {
    const from = quoteIdentifier(plan.restoreRole);
    // REASSIGN also moves the shared objects: the database itself.
    await client.query(`REASSIGN OWNED BY ${from} TO ${quoteIdentifier(plan.newOwner)}`);
    await client.query(`DROP OWNED BY ${from}`);
  });
  await postgres.withClient(config, MAINTENANCE_DATABASE, async (client) => {
    await client.query(`DROP ROLE IF EXISTS ${quoteIdentifier(plan.restoreRole)}`);
  });
  log.info('restored objects handed over', { database, owner: plan.newOwner });
}

async function ownerName(client: Client, database: string): Promise<string | undefined> {
  const result = await client.query<{ owner: string }>(
    `SELECT pg_catalog.pg_get_userbyid(datdba) AS owner FROM pg_catalog.pg_database WHERE datname = $1`,
    [database],
  );
  return result.rows[0]?.owner;
}
