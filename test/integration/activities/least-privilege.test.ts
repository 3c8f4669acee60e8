import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createActivities } from '../../../activities';
import { restoreRoleName } from '../../../activities/restore-confinement';
import { setUpService } from '../../../shared/node/server-setup-run';
import type { DrActivities } from '../../../shared/activity-contract';
import { warnAboutSuperusers } from '../../../worker/privilege-check';
import type { Topology } from '../../../shared/node/topology';
import {
  dumpToFile,
  ensureImage,
  inActivity,
  PASSWORD,
  query,
  removeContainers,
  startPostgres,
  tempDirectory,
  testTopology,
  type PostgresContainer,
} from './helpers';

/**
 * Issue 19: a server set up the way production should be, by `opareta-dr setup-roles`: a superuser used by the
 * set-up only, the service's role `shop` a NOSUPERUSER owner of its database, and the operator role the worker
 * connects as, no superuser either. Nothing in the config is a superuser; restore, checks, swap, swap-back, a
 * drill keeping a standby, a restore from the standby and the pruning of old copies all work.
 */

const FILE = 'shop_20240401_020000.sql.gz';
const OPERATOR = 'opareta_operator';

let server: PostgresContainer;
let shop: PostgresContainer;
let backups: Awaited<ReturnType<typeof tempDirectory>>;
let topology: Topology;
let activities: DrActivities;

beforeAll(async () => {
  await ensureImage();
  backups = await tempDirectory('least-privilege');
  server = await startPostgres('lp', 'postgres', 'postgres');
  await query(server, `CREATE ROLE shop LOGIN NOSUPERUSER PASSWORD '${PASSWORD}'; CREATE ROLE reporting NOLOGIN`);
  await query(server, 'CREATE DATABASE shop_db OWNER shop');
  shop = { ...server, user: 'shop', database: 'shop_db' };
  await query(
    shop,
    `CREATE TABLE customers (id serial PRIMARY KEY, email text UNIQUE NOT NULL);
     CREATE TABLE orders (id bigserial PRIMARY KEY, customer_id int REFERENCES customers(id), amount bigint);
     INSERT INTO customers (email) SELECT 'c' || g || '@example.com' FROM generate_series(1, 300) g;
     INSERT INTO orders (customer_id, amount) SELECT (g % 300) + 1, g FROM generate_series(1, 900) g;
     GRANT SELECT ON customers TO reporting;`,
  );
  await dumpToFile(shop, path.join(backups.path, FILE));
  topology = testTopology({ pg: shop, backupDirectory: backups.path, operator: OPERATOR });
  const printed: string[] = [];
  process.env.PGPASSWORD = PASSWORD;
  try {
    await setUpService('shop', topology.services.shop, { superuser: 'postgres', say: (line) => printed.push(line) });
  } finally {
    delete process.env.PGPASSWORD;
  }
  expect(printed.join('\n')).toContain(`CREATE ROLE "${OPERATOR}" LOGIN NOSUPERUSER CREATEDB CREATEROLE`);
  activities = createActivities({ topology });
});

afterAll(async () => {
  await removeContainers([server?.name].filter(Boolean));
  await backups?.remove();
});

function run<T>(fn: (a: DrActivities) => Promise<T>): Promise<T> {
  return inActivity(() => fn(activities));
}

async function owner(database: string): Promise<string> {
  const [row] = await query<{ owner: string }>(
    server,
    `SELECT pg_get_userbyid(datdba) AS owner FROM pg_database WHERE datname = '${database}'`,
  );
  return row?.owner;
}

describe('a server set up by setup-roles, with no superuser in the config', () => {
  it('the config names no superuser: the worker connects as the operator', async () => {
    const roles = await query<{ rolname: string; rolsuper: boolean }>(
      server,
      `SELECT rolname, rolsuper FROM pg_roles WHERE rolname IN ('shop', '${OPERATOR}') ORDER BY 1`,
    );
    expect(roles).toEqual([
      { rolname: OPERATOR, rolsuper: false },
      { rolname: 'shop', rolsuper: false },
    ]);
    expect((await run((a) => a.checkConnectivity({ service: 'shop' }))).serverVersion).toMatch(/^15\./);
    // The worker's start-up check finds no superuser to warn about; on a legacy config it would name them.
    const warnings: object[] = [];
    await warnAboutSuperusers(topology, ['shop'], (entry) => warnings.push(entry));
    expect(warnings).toEqual([]);
    const legacy = testTopology({ pg: server, backupDirectory: backups.path });
    await warnAboutSuperusers(legacy, ['shop'], (entry) => warnings.push(entry));
    expect(warnings).toMatchObject([
      { level: 'WARN', message: 'superuser in the restore path', superusers: ['postgres'] },
    ]);
  });

  it('restores, verifies (amcheck included), swaps in and swaps back', async () => {
    const names = {
      live: 'shop_db',
      side: 'shop_db_restore_lp',
      preRestore: 'shop_db_pre_restore_lp',
      failedRestore: 'shop_db_failed_restore_lp',
    };
    const result = await run((a) => a.restoreBackup({ service: 'shop', file: FILE, targetDatabase: names.side }));
    expect(await owner(names.side)).toBe(restoreRoleName(names.side));
    const report = await run((a) =>
      a.verifyRestoredDatabase({ service: 'shop', database: names.side, expected: result.tables }),
    );
    expect(report.passed).toBe(true);
    expect(report.checks.at(-1)?.detail).toMatch(/^\d+ indexes checked$/);
    expect(await run((a) => a.swapDatabaseNames({ service: 'shop', names }))).toBe('swapped');
    expect(await owner('shop_db')).toBe('shop');
    const tableOwners = await query(
      server,
      "SELECT DISTINCT tableowner FROM pg_tables WHERE schemaname = 'public'",
      'shop_db',
    );
    // The objects go to shop_owner (NOLOGIN, no attributes, shop a member of it), never to the apps' login role.
    expect(tableOwners).toEqual([{ tableowner: 'shop_owner' }]);
    // The apps' role reads and writes what it owns again.
    await query(shop, 'INSERT INTO orders (customer_id, amount) VALUES (1, 1)');
    expect(await run((a) => a.swapBackDatabaseNames({ service: 'shop', names }))).toBe('swapped-back');
    const changes = await run((a) =>
      a.rowChangesSince({ service: 'shop', database: names.failedRestore, expected: result.tables }),
    );
    expect(changes).toEqual([{ table: 'public.orders', expectedRows: 900, rows: 901 }]);
    await run((a) => a.dropDatabase({ service: 'shop', database: names.failedRestore }));
  });

  it('a drill keeps a standby, a restore swaps it in, and the old copy is pruned', async () => {
    const scratch = 'shop_db_drill_lp';
    const standby = 'shop_db_standby_20240401_020000';
    const names = {
      live: 'shop_db',
      side: 'shop_db_restore_20240401030000_a1b2c3',
      preRestore: 'shop_db_pre_restore_20240401030000_a1b2c3',
      failedRestore: 'shop_db_failed_restore_20240401030000_a1b2c3',
    };
    await run((a) => a.restoreBackup({ service: 'shop', file: FILE, targetDatabase: scratch }));
    const manifest = await run((a) => a.verifyBackup({ service: 'shop', file: FILE }));
    await run(async (a) =>
      a.keepStandby({
        service: 'shop',
        from: scratch,
        standby,
        record: {
          service: 'shop',
          database: standby,
          backupFile: FILE,
          backupTakenAt: '2024-04-01T02:00:00.000Z',
          manifest,
          verifiedAt: new Date().toISOString(),
          checks: [],
          liveSchemaFingerprint: await a.schemaFingerprint({ service: 'shop' }),
          drillWorkflowId: 'drill-lp',
        },
      }),
    );
    // Handed over when kept: the backup's code can neither rewrite its record nor unlock it.
    expect(await owner(standby)).toBe('shop');
    expect(await run((a) => a.useStandby({ service: 'shop', standby, target: names.side }))).toBe('used');
    expect(await run((a) => a.swapDatabaseNames({ service: 'shop', names }))).toBe('swapped');
    expect(await owner('shop_db')).toBe('shop');
    const copies = await run((a) => a.listRestoreCopies({ service: 'shop' }));
    expect(copies.map((c) => c.database)).toContain(names.preRestore);
    await run((a) => a.dropDatabase({ service: 'shop', database: names.preRestore }));
    expect(await query(server, `SELECT 1 FROM pg_database WHERE datname LIKE 'shop\\_db\\_%'`)).toEqual([]);
    expect(await query(server, "SELECT rolname FROM pg_roles WHERE rolname LIKE 'opareta\\_restore\\_%'")).toEqual([]);
  });
});
