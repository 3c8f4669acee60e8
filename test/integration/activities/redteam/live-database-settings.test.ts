import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureImage, execText, inActivity, query, removeContainers } from '../helpers';
import { payloadSql } from '../backup-code/payloads';
import { operatorServer, pwnedFiles, type RedteamServer } from './setup';

/**
 * Red team, attack 6: after the swap, autovacuum lets the backup re-plant the live database's settings.
 *
 * The product resets what the backup set on its database before the checks and at the swap, and the live
 * database adopts the old one's settings. But REASSIGN OWNED makes the restored objects' owner (`shop_owner` when
 * `shop` is a superuser, as here; `shop` otherwise) the owner of the database itself, and the backup's index
 * expression runs as that owner whenever autovacuum analyses the table. The product's own test payload
 * (backup-code/payloads.ts, plant()) then sets, on the LIVE database: search_path = evil, pg_catalog, public;
 * lock_timeout = 1; CONNECTION LIMIT 0; CREATE for PUBLIC; IS_TEMPLATE. backup-code.test.ts runs that ANALYZE but
 * never looks at the live database's state afterwards.
 *
 * The search_path is the escalation: every later session on the live database puts the backup's schema before
 * pg_catalog. A DBA's superuser psql running `SELECT count(*) FROM public.customers` runs evil.count, i.e. the
 * backup's code as a superuser (the apps too, when they connect as the superuser `shop`).
 *
 * Asserts the safe outcome: it FAILS while the attack works.
 */

const FILE = 'shop_20240506_020000.sql.gz';

let env: RedteamServer;
let before: Record<string, unknown>;

beforeAll(async () => {
  await ensureImage();
  env = await operatorServer('settings', FILE, payloadSql('shop'), { legacy: true });
  before = await liveState();
});

afterAll(async () => {
  await removeContainers([env?.server.name].filter(Boolean));
  await env?.backups.remove();
});

const names = {
  live: 'shop_db',
  side: 'shop_db_restore_set',
  preRestore: 'shop_db_pre_restore_set',
  failedRestore: 'shop_db_failed_restore_set',
};

async function liveState(): Promise<Record<string, unknown>> {
  const [row] = await query(
    env.server,
    `SELECT d.datconnlimit AS connlimit, d.datistemplate AS template,
            (SELECT array_agg(c ORDER BY c) FROM pg_db_role_setting s, unnest(s.setconfig) c
              WHERE s.setdatabase = d.oid) AS settings
       FROM pg_database d WHERE d.datname = 'shop_db'`,
  );
  return row;
}

describe("the backup's code under autovacuum after the swap (the service's role a superuser)", () => {
  it('restores, verifies and swaps in', async () => {
    const result = await inActivity(() =>
      env.activities.restoreBackup({ service: 'shop', file: FILE, targetDatabase: names.side }),
    );
    // public.attempts grows with every run of the payload (CREATE INDEX, autovacuum): not compared.
    const expected = result.tables.filter((t) => t.table !== 'public.attempts');
    const report = await inActivity(() =>
      env.activities.verifyRestoredDatabase({ service: 'shop', database: names.side, expected }),
    );
    expect(report.checks.filter((c) => !c.passed)).toEqual([]);
    expect(await inActivity(() => env.activities.swapDatabaseNames({ service: 'shop', names }))).toBe('swapped');
    expect(await liveState()).toEqual(before);
  });

  it("ANALYZE (autovacuum) leaves the live database's settings, limit and template flag alone", async () => {
    await query(env.server, 'ANALYZE public.customers', 'shop_db');
    const after = await liveState();
    console.log('attack 6: live database before', before, 'after ANALYZE', after);
    expect(after).toEqual(before);
  });

  it("a DBA's superuser session on the live database does not run the backup's code", async () => {
    // What a DBA types in psql as the superuser `postgres`, unqualified.
    await query(env.server, 'SELECT count(*) FROM public.customers', 'shop_db').catch(() => undefined);
    const files = await pwnedFiles(env.server);
    const who = await query(
      env.server,
      "SELECT DISTINCT who, super FROM public.attempts WHERE tag = 'count'",
      'shop_db',
    );
    console.log(
      'attack 6: DBA session ran',
      who,
      files,
      files.length ? await execText(env.server.name, ['cat', `/tmp/${files[0]}`]) : '',
    );
    expect(files).toEqual([]);
  });
});
