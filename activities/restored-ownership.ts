import { log } from '@temporalio/activity';
import type { Client } from 'pg';
import { ErrorType } from '../shared/errors';
import { ownerRoleName } from '../shared/node/server-setup';
import type { ServiceConfig } from '../shared/node/topology';
import { failure } from './errors';
import { databaseOwner, MAINTENANCE_DATABASE, quoteIdentifier, type PostgresAccess } from './postgres';
import {
  adoptDatabaseState,
  powersOf,
  RESTORE_ROLE_PREFIX,
  resetDatabaseState,
  throwawayOwner,
} from './restored-database';

/**
 * Who owns what a backup restored, once it is kept (a standby) or goes live. Its objects go to `<role>_owner`: a
 * NOLOGIN role with no attribute and no membership, that the service's role is a member of (so the apps use and
 * migrate the objects as before). Never to the apps' login role itself: a SECURITY DEFINER function, a view, or an
 * index expression autovacuum evaluates runs as the objects' owner, and as the apps' role it could change that
 * role's password or, with CREATEROLE, grant itself anything. The database itself goes to the live database's
 * owner, a role none of the backup's code runs as, so that code cannot ALTER DATABASE (settings, connection
 * limit, IS_TEMPLATE) or rewrite the comment a standby's record lives in. `opareta-dr setup-roles` creates the
 * owner role up front; it is created here when missing.
 */
export async function restoredObjectsOwner(client: Client, config: ServiceConfig): Promise<string> {
  const owner = ownerRoleName(config.user);
  const exists = await client.query('SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = $1', [owner]);
  if (exists.rowCount === 0) {
    await client
      .query(
        `CREATE ROLE ${quoteIdentifier(owner)} NOLOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS`,
      )
      .catch((err: unknown) => {
        if ((err as { code?: string }).code !== '42710') throw err; // created by a concurrent restore
      });
  }
  const powers = await powersOf(client, owner);
  if (powers.length > 0) {
    throw failure(
      ErrorType.ConfigError,
      `${owner}, the role restored objects are given, has ${powers.join(', ')}: the backup's code would run with ` +
        `them; make it a NOLOGIN role without attributes or memberships`,
    );
  }
  await client.query(`GRANT ${quoteIdentifier(owner)} TO ${quoteIdentifier(config.user)}`);
  // REASSIGN OWNED hands objects only to a role the worker is a member of (a superuser worker needs nothing).
  await client.query(`GRANT ${quoteIdentifier(owner)} TO CURRENT_USER`);
  return owner;
}

/**
 * Before a restored database is kept as a standby or swapped in: its database-level state is reset and the live
 * database's adopted (settings, limits, grants; nothing the backup set survives), its objects go from the
 * throwaway restore role to the owner role (restoredObjectsOwner), the database to the live one's owner, and the
 * restore role is dropped. REASSIGN OWNED and DROP OWNED are the only statements the product runs inside a
 * restored database with more than the restore role's rights: utility commands that run none of the backup's
 * code (no trigger fires on them; event triggers need a superuser to create, and the dump reader refuses them).
 * Idempotent: a database handed over already (an earlier attempt, a standby kept) only gets its state reset and
 * the live one's adopted again; a missing one (already swapped) is nothing to do.
 */
export async function handOverRestoredDatabase(
  postgres: PostgresAccess,
  config: ServiceConfig,
  database: string,
  live: string,
): Promise<void> {
  const plan = await postgres.withClient(config, MAINTENANCE_DATABASE, async (client) => {
    const owner = await databaseOwner(client, database);
    if (owner === undefined) return undefined;
    const restoreRole = owner.startsWith(RESTORE_ROLE_PREFIX) ? (await throwawayOwner(client, database))! : undefined;
    await resetDatabaseState(client, database, restoreRole);
    await adoptDatabaseState(client, live, database);
    if (!restoreRole) return undefined;
    const liveOwner = (await databaseOwner(client, live)) ?? config.user;
    return { restoreRole, objectsOwner: await restoredObjectsOwner(client, config), databaseOwner: liveOwner };
  });
  if (!plan) return;
  await postgres.withClient(config, database, async (client) => {
    const from = quoteIdentifier(plan.restoreRole);
    // REASSIGN also moves the shared objects (the database itself), which the next statement gives away.
    await client.query(`REASSIGN OWNED BY ${from} TO ${quoteIdentifier(plan.objectsOwner)}`);
    await client.query(`DROP OWNED BY ${from}`);
  });
  await postgres.withClient(config, MAINTENANCE_DATABASE, async (client) => {
    await client.query(`ALTER DATABASE ${quoteIdentifier(database)} OWNER TO ${quoteIdentifier(plan.databaseOwner)}`);
    await client.query(`DROP ROLE IF EXISTS ${quoteIdentifier(plan.restoreRole)}`);
  });
  log.info('restored objects handed over', {
    database,
    objects: plan.objectsOwner,
    database_owner: plan.databaseOwner,
  });
}
