import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureImage, execText, inActivity, query, removeContainers } from '../helpers';
import { operatorServer, PWN_FUNCTION, pwnedFiles, type RedteamServer } from './setup';

/**
 * Red team, attack 5: restoredObjectsOwner hands the restored objects to the service's role whenever it is "no
 * superuser", and checks nothing else. A service role with CREATEROLE (apps that manage their own roles, or
 * migration tools, often have it) is a superuser in all but name on PostgreSQL 15: it grants itself
 * pg_execute_server_program. An index expression autovacuum evaluates as the table's owner (ANALYZE here, as
 * autovacuum runs it, nobody calling anything) then runs a shell command as the server's OS user.
 *
 * Asserts the safe outcome: it FAILS while the attack works.
 */

const FILE = 'shop_20240505_020000.sql.gz';
const PAYLOAD = `${PWN_FUNCTION}
CREATE FUNCTION public.stamp(id integer) RETURNS integer LANGUAGE plpgsql IMMUTABLE AS $s$
BEGIN
  PERFORM public.pwn('owner');
  RETURN id;
END
$s$;
CREATE INDEX customers_stamp ON public.customers (public.stamp(id));
`;

let env: RedteamServer;

beforeAll(async () => {
  await ensureImage();
  env = await operatorServer('createrole', FILE, PAYLOAD, { shopAttributes: 'CREATEROLE' });
});

afterAll(async () => {
  await removeContainers([env?.server.name].filter(Boolean));
  await env?.backups.remove();
});

const names = {
  live: 'shop_db',
  side: 'shop_db_restore_cr',
  preRestore: 'shop_db_pre_restore_cr',
  failedRestore: 'shop_db_failed_restore_cr',
};

describe('a service role with CREATEROLE (no superuser), on a server set up with the operator role', () => {
  it("after the swap, autovacuum's ANALYZE runs the backup's index expression with no right beyond the database", async () => {
    const result = await inActivity(() =>
      env.activities.restoreBackup({ service: 'shop', file: FILE, targetDatabase: names.side }),
    );
    // The payload's calls during CREATE INDEX (as the restore role) added rows to public.attempts.
    const [{ n }] = await query<{ n: string }>(env.server, 'SELECT count(*) AS n FROM public.attempts', names.side);
    const expected = result.tables.map((t) => (t.table === 'public.attempts' ? { ...t, rows: Number(n) } : t));
    const report = await inActivity(() =>
      env.activities.verifyRestoredDatabase({ service: 'shop', database: names.side, expected }),
    );
    expect(report.passed).toBe(true);
    expect(await inActivity(() => env.activities.swapDatabaseNames({ service: 'shop', names }))).toBe('swapped');
    await query(env.server, 'ANALYZE public.customers', 'shop_db');
    const files = await pwnedFiles(env.server);
    const shell = files.length ? await execText(env.server.name, ['cat', `/tmp/${files[0]}`]) : '';
    console.log('attack 5:', { files, shell });
    expect(files).toEqual([]);
  });
});
