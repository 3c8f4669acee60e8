import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureImage, execText, inActivity, query, removeContainers } from '../helpers';
import { OPERATOR, operatorServer, PWN_FUNCTION, pwnedFiles, type RedteamServer } from './setup';

/**
 * Red team, attack 1: a FORCE ROW LEVEL SECURITY policy runs the backup's code as the worker's operator role.
 *
 * The operator is a member of the service's role `shop` (setup-roles), and after the swap `shop` owns every
 * restored table: PostgreSQL takes a member of the owner for the owner, and FORCE ROW LEVEL SECURITY applies the
 * policies to the owner. The operator's own sessions in a database the backup built do not set row_security off,
 * and count rows there: the next restore's live snapshot (snapshotDatabase, before every restore), and
 * rowChangesSince on the `_failed_restore_` copy after a swap-back. The policy's function then runs with the
 * operator's rights: CREATEROLE on PostgreSQL 15 grants pg_execute_server_program, COPY TO PROGRAM is a shell as
 * the server's OS user. The verification (as the restore role, FORCE lifted) does not fire it, so the drill
 * passes.
 *
 * Asserts the safe outcome: it FAILS while the attack works.
 */

const FILE = 'shop_20240501_020000.sql.gz';
const PAYLOAD = `${PWN_FUNCTION}
CREATE TABLE public.audit (id integer);
INSERT INTO public.audit VALUES (1);
ALTER TABLE public.audit ENABLE ROW LEVEL SECURITY;
ALTER TABLE public.audit FORCE ROW LEVEL SECURITY;
CREATE POLICY audit_visible ON public.audit USING (public.pwn('rls'));
`;

let env: RedteamServer;

beforeAll(async () => {
  await ensureImage();
  env = await operatorServer('rls', FILE, PAYLOAD);
});

afterAll(async () => {
  await removeContainers([env?.server.name].filter(Boolean));
  await env?.backups.remove();
});

const names = {
  live: 'shop_db',
  side: 'shop_db_restore_rls',
  preRestore: 'shop_db_pre_restore_rls',
  failedRestore: 'shop_db_failed_restore_rls',
};

async function operatorRights(): Promise<string[]> {
  const rows = await query<{ role: string }>(
    env.server,
    `SELECT r.rolname AS role FROM pg_auth_members m JOIN pg_roles r ON r.oid = m.roleid
      WHERE m.member = (SELECT oid FROM pg_roles WHERE rolname = '${OPERATOR}') ORDER BY 1`,
  );
  return rows.map((r) => r.role);
}

async function attemptsBy(database: string): Promise<string[]> {
  const rows = await query<{ who: string }>(
    env.server,
    'SELECT DISTINCT who FROM public.attempts ORDER BY 1',
    database,
  );
  return rows.map((r) => r.who);
}

describe('a FORCE ROW LEVEL SECURITY policy in a backup, on a server set up with the operator role', () => {
  it('restores, verifies (passes) and swaps in without running the policy', async () => {
    const result = await inActivity(() =>
      env.activities.restoreBackup({ service: 'shop', file: FILE, targetDatabase: names.side }),
    );
    const report = await inActivity(() =>
      env.activities.verifyRestoredDatabase({ service: 'shop', database: names.side, expected: result.tables }),
    );
    expect(report.passed).toBe(true);
    expect(await inActivity(() => env.activities.swapDatabaseNames({ service: 'shop', names }))).toBe('swapped');
    expect(await attemptsBy('shop_db')).toEqual([]);
    expect(await pwnedFiles(env.server)).toEqual([]);
  });

  it("the next restore's live snapshot does not run the backup's policy as the operator", async () => {
    // What workflows/restore/prepare.ts does first, for every restore of the service.
    await inActivity(() => env.activities.snapshotDatabase({ service: 'shop' }));
    const who = await attemptsBy('shop_db');
    const files = await pwnedFiles(env.server);
    const rights = await operatorRights();
    // Shown when the attack works: who ran the policy, what the shell command wrote, what the operator holds now.
    const shell = files.length ? await execText(env.server.name, ['cat', `/tmp/${files[0]}`]) : '';
    console.log('attack 1 (snapshot):', { who, files, shell, rights });
    expect(who).not.toContain(OPERATOR);
    expect(rights).not.toContain('pg_execute_server_program');
    expect(files).toEqual([]);
  });

  it("a swap-back's rowChangesSince does not run it as the operator either", async () => {
    await query(env.server, `REVOKE pg_execute_server_program FROM ${OPERATOR}`).catch(() => undefined);
    await query(env.server, 'DELETE FROM public.attempts', 'shop_db');
    await inActivity(() => env.activities.swapBackDatabaseNames({ service: 'shop', names }));
    await inActivity(() =>
      env.activities.rowChangesSince({ service: 'shop', database: names.failedRestore, expected: [] }),
    );
    const who = await attemptsBy(names.failedRestore);
    console.log('attack 1 (rowChangesSince):', { who, rights: await operatorRights() });
    expect(who).not.toContain(OPERATOR);
  });
});
