import { log } from '@temporalio/activity';
import type { Client } from 'pg';
import type { ServiceConfig } from '../shared/node/topology';
import { MAINTENANCE_DATABASE, quoteIdentifier, type PostgresAccess } from './postgres';

/**
 * Roles policy of the restore: every role the dump grants to that the target server lacks is created NOLOGIN
 * just before psql reads the statement naming it. We chose this over the runbook's REASSIGN OWNED to the service
 * user because it restores the dump exactly as it was (grants intact) and cannot fail halfway; NOLOGIN roles
 * grant nobody access. An SRE can still REASSIGN OWNED afterwards (reassignOwned in postgres.ts).
 *
 * Which of them are dropped, and when: a role created here is commented with the OID of the database it was
 * created for. While that database exists (a side database waiting for its swap, the live database it became, a
 * kept `_pre_restore_` or `_failed_restore_` copy: a rename keeps the OID), its grants reference the role and
 * the role stays: dropping it would mean revoking what the backup granted. Once that database is dropped (a
 * failed or cancelled restore, a finished drill, a compensation, a retry starting over), the role is dropped
 * too, unless something still holds on to it: grants in another database (DROP ROLE refuses them), a member
 * or a membership an SRE added, LOGIN, a changed comment, or a restore running now that relies on it (an
 * advisory lock each restore holds on the roles its dump names). Roles that existed before are never touched.
 */
export class RestoreRoleCreator {
  private release?: () => void;
  private opened?: Promise<Client>;
  private closed?: Promise<void>;
  private targetOid?: number;
  private readonly locked = new Set<string>();
  readonly created: string[] = [];

  constructor(
    private readonly postgres: PostgresAccess,
    private readonly config: ServiceConfig,
    private readonly targetDatabase: string,
  ) {}

  async ensure(roles: string[]): Promise<string[]> {
    const client = await this.connect();
    this.targetOid ??= await databaseOid(client, this.targetDatabase);
    for (const role of roles.filter((r) => !this.locked.has(r))) {
      // Held until close(): no cleanup may drop a role this restore's grants are about to name.
      await client.query('SELECT pg_advisory_lock_shared($1, hashtext($2))', [ROLE_LOCK_SPACE, role]);
      this.locked.add(role);
    }
    const created = await createGrantRoles(client, roles, this.targetOid);
    this.created.push(...created);
    return created;
  }

  /** One connection for the whole restore, opened on the first role and held until close(). */
  private connect(): Promise<Client> {
    this.opened ??= new Promise<Client>((resolveClient, rejectClient) => {
      const held = new Promise<void>((release) => {
        this.release = release;
      });
      this.closed = this.postgres
        .withClient(this.config, MAINTENANCE_DATABASE, async (client) => {
          resolveClient(client);
          await held;
        })
        .catch(rejectClient);
    });
    return this.opened;
  }

  /** Ends the connection, and with it the locks: resolves once they are released. */
  async close(): Promise<void> {
    this.release?.();
    await this.closed;
  }
}

/** The first key of the advisory locks on role names ("opdr"); the second is hashtext(name). */
const ROLE_LOCK_SPACE = 0x6f706472;
const COMMENT_PREFIX = 'opareta-dr: created NOLOGIN for the grants of the database with oid ';

async function databaseOid(client: Client, name: string): Promise<number> {
  const result = await client.query<{ oid: number }>('SELECT oid::int8 AS oid FROM pg_database WHERE datname = $1', [
    name,
  ]);
  if (result.rows.length === 0) throw new Error(`database ${name} vanished during its restore`);
  return Number(result.rows[0].oid);
}

/** Creates the roles that do not exist yet, NOLOGIN and commented with the database they serve; returns them. */
export async function createGrantRoles(client: Client, roles: string[], databaseOid: number): Promise<string[]> {
  if (roles.length === 0) return [];
  const existing = await client.query<{ rolname: string }>('SELECT rolname FROM pg_roles WHERE rolname = ANY($1)', [
    roles,
  ]);
  const present = new Set(existing.rows.map((r) => r.rolname));
  const created: string[] = [];
  for (const role of roles.filter((r) => !present.has(r))) {
    // One transaction: a role is never seen without the comment that lets a cleanup recognise it.
    await client.query('BEGIN');
    try {
      await client.query(`CREATE ROLE ${quoteIdentifier(role)} NOLOGIN`);
      await client.query(
        `COMMENT ON ROLE ${quoteIdentifier(role)} IS ${client.escapeLiteral(COMMENT_PREFIX + databaseOid)}`,
      );
      await client.query('COMMIT');
      created.push(role);
    } catch (err) {
      await client.query('ROLLBACK');
      // 42710: another restore created it a moment ago.
      if ((err as { code?: string }).code !== '42710') throw err;
    }
  }
  return created;
}

/**
 * Drops the roles created for grants whose database no longer exists, when nothing else holds on to them (see
 * RestoreRoleCreator). Returns the roles dropped. Run in the maintenance database, where restores take their locks.
 */
export async function dropOrphanedGrantRoles(client: Client): Promise<string[]> {
  const orphans = await client.query<{ rolname: string }>(
    `SELECT r.rolname
       FROM pg_roles r
       JOIN pg_shdescription d ON d.objoid = r.oid AND d.classoid = 'pg_authid'::regclass
      WHERE starts_with(d.description, $1) AND NOT r.rolcanlogin AND NOT r.rolsuper
        AND NOT EXISTS (SELECT 1 FROM pg_database db WHERE db.oid::text = substr(d.description, length($1) + 1))
        AND NOT EXISTS (SELECT 1 FROM pg_auth_members m
                         WHERE m.member = r.oid OR (m.roleid = r.oid AND m.member <> (SELECT oid FROM pg_roles WHERE rolname = current_user)))
      ORDER BY 1`,
    [COMMENT_PREFIX],
  );
  const dropped: string[] = [];
  for (const { rolname } of orphans.rows) {
    const locked = await client.query<{ locked: boolean }>('SELECT pg_try_advisory_lock($1, hashtext($2)) AS locked', [
      ROLE_LOCK_SPACE,
      rolname,
    ]);
    if (!locked.rows[0].locked) {
      log.info('a restore running now relies on this role: kept', { role: rolname });
      continue;
    }
    try {
      await client.query(`DROP ROLE IF EXISTS ${quoteIdentifier(rolname)}`);
      dropped.push(rolname);
    } catch (err) {
      // 2BP01: grants in another database still name it.
      if ((err as { code?: string }).code !== '2BP01') throw err;
      log.info('role still referenced elsewhere: kept', { role: rolname });
    } finally {
      await client.query('SELECT pg_advisory_unlock($1, hashtext($2))', [ROLE_LOCK_SPACE, rolname]);
    }
  }
  if (dropped.length > 0) log.info('dropped the roles created for grants of a dropped database', { roles: dropped });
  return dropped;
}
