import path from 'node:path';
import { Client } from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createActivities } from '../../../activities';
import type { DrActivities, TableCount } from '../../../shared/activity-contract';
import {
  dumpToFile,
  ensureImage,
  execText,
  inActivity,
  query,
  removeContainers,
  startPostgres,
  tempDirectory,
  testTopology,
  type PostgresContainer,
} from './helpers';
import { readDump, writeDump } from './hostile-dumps/corpus';
import { CANARY_PASSWORD, CANARY_ROLE, PWNED_PREFIX, withPayload } from './backup-code/payloads';
import { seedShop, SHOP_VERIFICATION } from './seed';

/**
 * Issue 19, "Must show": the backup's code never runs with privilege, through the whole path where it fires:
 * the restore (CREATE INDEX evaluates the expression), the checks afterwards (counts, the service's checks,
 * amcheck), the swap (ownership handed over, database-level state), after the swap (a SECURITY DEFINER function
 * and a view over pg_authid called by any role, ANALYZE evaluating the expression index as the table's owner,
 * as autovacuum does) and a drill's clean-up. The service's role `shop` is a superuser here, as in many real
 * set-ups: the product must never hand it the backup's objects. Effects are looked for where they would land
 * (the container's /tmp, pg_roles, pg_db_role_setting, pg_database, the live database) before any clean-up.
 */

const SERVICE = 'shop';
const FILE = 'shop_20240301_020000.sql.gz';

let source: PostgresContainer;
let target: PostgresContainer;
let backups: Awaited<ReturnType<typeof tempDirectory>>;
let activities: DrActivities;
let liveStateBefore: DatabaseState;

interface DatabaseState {
  connlimit: number;
  template: boolean;
  acl: string | null;
  settings: string[];
}

beforeAll(async () => {
  await ensureImage();
  backups = await tempDirectory('backup-code');
  [source, target] = await Promise.all([startPostgres('bc-src'), startPostgres('bc-dst')]);
  await seedShop(source, 200);
  await dumpToFile(source, path.join(backups.path, 'real.sql.gz'));
  const dump = await readDump(path.join(backups.path, 'real.sql.gz'));
  await writeDump(path.join(backups.path, FILE), withPayload(dump, SERVICE));

  await seedShop(target, 50);
  await query(target, `CREATE ROLE ${CANARY_ROLE} LOGIN PASSWORD '${CANARY_PASSWORD}'`);
  // The live database's own state, which the restored one must take over at the swap.
  await query(target, `ALTER DATABASE ${target.database} SET work_mem = '8MB'`);
  await query(target, `ALTER DATABASE ${target.database} CONNECTION LIMIT 40`);
  liveStateBefore = await databaseState(target.database);
  activities = createActivities({
    topology: testTopology({ pg: target, backupDirectory: backups.path, verification: SHOP_VERIFICATION }),
  });
});

afterAll(async () => {
  await removeContainers([source?.name, target?.name].filter(Boolean));
  await backups?.remove();
});

async function databaseState(database: string): Promise<DatabaseState> {
  const [row] = await query<{ connlimit: number; template: boolean; acl: string | null; settings: string[] | null }>(
    target,
    `SELECT d.datconnlimit AS connlimit, d.datistemplate AS template, d.datacl::text AS acl,
            (SELECT array_agg(s.setrole::regrole::text || ':' || c ORDER BY 1)
               FROM pg_db_role_setting s, unnest(s.setconfig) c WHERE s.setdatabase = d.oid) AS settings
       FROM pg_database d WHERE d.datname = '${database}'`,
    'postgres',
  );
  return { ...row, settings: row.settings ?? [] };
}

/** Where a privileged run of the backup's code would have landed. */
async function expectNoPrivilegedEffect(database: string): Promise<void> {
  const tmp = await execText(target.name, ['ls', '-A', '/tmp']);
  expect(tmp.split('\n').filter((f) => `/tmp/${f}`.startsWith(PWNED_PREFIX))).toEqual([]);
  const [canary] = await query<{ rolsuper: boolean }>(
    target,
    `SELECT rolsuper FROM pg_roles WHERE rolname = '${CANARY_ROLE}'`,
  );
  expect(canary.rolsuper).toBe(false);
  const privileged = await query(target, 'SELECT tag, who FROM public.attempts WHERE super', database);
  expect(privileged).toEqual([]);
}

/**
 * The dump's counts, with the rows the payload's own calls added to public.attempts during the restore (a table
 * the dump created empty): the count check compares everything else.
 */
async function expectedCounts(database: string, tables: TableCount[]): Promise<TableCount[]> {
  // Qualified: the backup may have put its own count(*) first on this database's search_path, and this session
  // is a superuser's (the test's, not the product's).
  const [{ n }] = await query<{ n: string }>(target, 'SELECT pg_catalog.count(*) AS n FROM public.attempts', database);
  return tables.map((t) => (t.table === 'public.attempts' ? { ...t, rows: Number(n) } : t));
}

async function attemptTags(database: string): Promise<string[]> {
  const rows = await query<{ tag: string }>(target, 'SELECT DISTINCT tag FROM public.attempts ORDER BY 1', database);
  return rows.map((r) => r.tag);
}

async function asCanary<T>(database: string, sql: string): Promise<T[]> {
  const client = new Client({
    host: '127.0.0.1',
    port: target.port,
    user: CANARY_ROLE,
    password: CANARY_PASSWORD,
    database,
  });
  await client.connect();
  try {
    return (await client.query(sql)).rows as T[];
  } finally {
    await client.end();
  }
}

describe("a backup's code through restore, checks, swap and after", () => {
  const side = 'shop_db_restore_bc';
  const names = {
    live: 'shop_db',
    side,
    preRestore: 'shop_db_pre_restore_bc',
    failedRestore: 'shop_db_failed_restore_bc',
  };

  it('restores and verifies the dump, its code running only as the throwaway restore role', async () => {
    const result = await inActivity(() =>
      activities.restoreBackup({ service: SERVICE, file: FILE, targetDatabase: side }),
    );
    // The index expression ran at CREATE INDEX, and planted database-level state as the database's owner.
    expect(await attemptTags(side)).toEqual(['index_expression']);
    const planted = await databaseState(side);
    expect(planted.template).toBe(true);
    expect(planted.connlimit).toBe(0);

    const expected = await expectedCounts(side, result.tables);
    const report = await inActivity(() =>
      activities.verifyRestoredDatabase({ service: SERVICE, database: side, expected }),
    );
    expect(report.checks.map((c) => [c.name, c.passed])).toEqual([
      ['connectivity', true],
      ['row counts equal the dump', true],
      ['shop has customers', true],
      ['ledger entries of each transaction sum to zero', true],
      ['amcheck btree indexes', true],
    ]);
    // Not one of the planted names was resolved by the checks: no quote_ident, count or "$user" call.
    expect(await attemptTags(side)).toEqual(['index_expression']);
    // The state the backup planted is gone before the checks ran.
    expect(await databaseState(side)).toMatchObject({ template: false, connlimit: -1, settings: [] });
    // PUBLIC (an empty grantee) has CONNECT and TEMPORARY again, not the CREATE the backup granted it.
    expect((await databaseState(side)).acl).not.toMatch(/[{,]=[A-Za-z]*C/);
    await expectNoPrivilegedEffect(side);
  });

  it("swaps it in: the live database's state is kept, and every object belongs to a non-superuser", async () => {
    await inActivity(() => activities.swapDatabaseNames({ service: SERVICE, names }));
    const live = await databaseState('shop_db');
    expect(live.connlimit).toBe(liveStateBefore.connlimit);
    expect(live.settings).toEqual(liveStateBefore.settings);
    expect(live.template).toBe(false);
    // The live database had the default grants (NULL): the same, written out, with CREATE for nobody but the owner.
    expect(liveStateBefore.acl).toBeNull();
    // The database itself belongs to the live one's owner (shop), which none of the backup's code runs as.
    expect(live.acl?.slice(1, -1).split(',').sort()).toEqual(['=Tc/shop', 'shop=CTc/shop']);
    const owners = await query<{ owner: string; super: boolean }>(
      target,
      `SELECT DISTINCT r.rolname AS owner, r.rolsuper AS super
         FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace JOIN pg_roles r ON r.oid = c.relowner
        WHERE n.nspname IN ('public', 'evil', 'shop')
       UNION
       SELECT DISTINCT r.rolname, r.rolsuper
         FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace JOIN pg_roles r ON r.oid = p.proowner
        WHERE n.nspname IN ('public', 'evil', 'shop') AND p.proname IN ('backdoor', 'pwn', 'tamper', 'quote_ident')`,
      'shop_db',
    );
    // The objects go to shop_owner, a NOLOGIN role without attributes (never to a login role, let alone a
    // superuser like shop here).
    expect(owners).toEqual([{ owner: 'shop_owner', super: false }]);
    expect(await query(target, "SELECT 1 FROM pg_roles WHERE rolname LIKE 'opareta\\_restore\\_%'")).toEqual([]);
    await expectNoPrivilegedEffect('shop_db');
  });

  it('after the swap, the SECURITY DEFINER function and the view over pg_authid give a login role nothing', async () => {
    await expect(asCanary('shop_db', 'SELECT public.backdoor()')).rejects.toThrow(/permission denied|must be/);
    await expect(asCanary('shop_db', 'SELECT * FROM public.password_hashes')).rejects.toThrow(/permission denied/);
    await expectNoPrivilegedEffect('shop_db');
  });

  it('ANALYZE (what autovacuum runs) evaluates the expression index as a non-superuser', async () => {
    await query(target, 'DELETE FROM public.attempts', 'shop_db');
    await query(target, 'ANALYZE public.customers', 'shop_db');
    const calls = await query<{ who: string; super: boolean }>(
      target,
      'SELECT DISTINCT who, super FROM public.attempts',
      'shop_db',
    );
    expect(calls).toEqual([{ who: 'shop_owner', super: false }]);
    await expectNoPrivilegedEffect('shop_db');
  });
});

describe("a drill's scratch database that made itself a template", () => {
  it('is verified and dropped, with its restore role, whatever the backup set', async () => {
    const scratch = 'shop_db_drill_bc';
    const result = await inActivity(() =>
      activities.restoreBackup({ service: SERVICE, file: FILE, targetDatabase: scratch }),
    );
    expect((await databaseState(scratch)).template).toBe(true);
    const expected = await expectedCounts(scratch, result.tables);
    const report = await inActivity(() =>
      activities.verifyRestoredDatabase({ service: SERVICE, database: scratch, expected }),
    );
    expect(report.passed).toBe(true);
    await expectNoPrivilegedEffect(scratch);
    await inActivity(() => activities.dropDatabase({ service: SERVICE, database: scratch }));
    expect(await query(target, `SELECT 1 FROM pg_database WHERE datname = '${scratch}'`)).toEqual([]);
    expect(await query(target, "SELECT 1 FROM pg_roles WHERE rolname LIKE 'opareta\\_restore\\_%'")).toEqual([]);
  });
});
