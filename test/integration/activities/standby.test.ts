import { restoredAsMarker } from '../../../activities/database-swap';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createActivities } from '../../../activities';
import type { DrActivities, StandbyRecord } from '../../../shared/activity-contract';
import {
  connect,
  dumpToFile,
  PASSWORD,
  ensureImage,
  failureOf,
  inActivity,
  query,
  removeContainers,
  startPostgres,
  tempDirectory,
  testTopology,
  type PostgresContainer,
} from './helpers';
import { SHOP_VERIFICATION, seedShop } from './seed';

/**
 * The warm standby's activities on a real PostgreSQL 15: a drill's restore kept as the standby (renamed, recorded
 * in its comment, locked), found again, the live schema's fingerprint, used as a side database, dropped.
 */
const FILE = 'shop_20261201_020000.sql.gz';
const SCRATCH = 'shop_db_drill_20261201030000_aaaaaa';
const STANDBY = 'shop_db_standby_20261201030000_aaaaaa';
const SIDE = 'shop_db_restore_20261201040000_bbbbbb';

let pg: PostgresContainer;
let backups: Awaited<ReturnType<typeof tempDirectory>>;
let activities: DrActivities;
const run = <T>(fn: (a: DrActivities) => Promise<T>) => inActivity(() => fn(activities));

async function databases(): Promise<string[]> {
  const rows = await query<{ datname: string }>(pg, "SELECT datname FROM pg_database WHERE datname LIKE 'shop%'");
  return rows.map((r) => r.datname).sort();
}

async function connectError(database: string): Promise<string> {
  const client = connect(pg, database);
  try {
    await client.connect();
    return 'connected';
  } catch (err) {
    return (err as Error).message;
  } finally {
    await client.end().catch(() => undefined);
  }
}

async function record(): Promise<StandbyRecord> {
  const manifest = await run((a) => a.verifyBackup({ service: 'shop', file: FILE }));
  return {
    service: 'shop',
    database: STANDBY,
    backupFile: FILE,
    backupTakenAt: '2026-12-01T02:00:00Z',
    manifest,
    verifiedAt: '2026-12-01T03:05:00.000Z',
    checks: [{ name: 'row counts', passed: true, detail: '6 tables equal' }],
    liveSchemaFingerprint: await run((a) => a.schemaFingerprint({ service: 'shop' })),
    drillWorkflowId: 'drill-acttest',
  };
}

beforeAll(async () => {
  await ensureImage();
  backups = await tempDirectory('standby');
  pg = await startPostgres('standby');
  await seedShop(pg, 500);
  await dumpToFile(pg, path.join(backups.path, FILE));
  activities = createActivities({
    topology: testTopology({ pg, backupDirectory: backups.path, verification: SHOP_VERIFICATION }),
  });
  // What a drill leaves before it decides: the backup restored into its scratch database.
  await run((a) => a.restoreBackup({ service: 'shop', file: FILE, targetDatabase: SCRATCH }));
}, 300_000);

afterAll(async () => {
  await removeContainers([pg?.name].filter(Boolean));
  await backups?.remove();
});

describe('schemaFingerprint', () => {
  it('is the same for the same schema in another database, and changes with the live schema only', async () => {
    const live = await run((a) => a.schemaFingerprint({ service: 'shop' }));
    expect(live).toMatch(/^[0-9a-f]{32}$/);
    // The restored copy has the same tables, columns, indexes, constraints and sequences: no OIDs, no rows.
    expect(await run((a) => a.schemaFingerprint({ service: 'shop', database: SCRATCH }))).toBe(live);
    await query(pg, 'INSERT INTO customers (email) VALUES ($$new@example.com$$)');
    expect(await run((a) => a.schemaFingerprint({ service: 'shop' }))).toBe(live);

    await query(pg, 'ALTER TABLE customers ADD COLUMN phone text');
    const added = await run((a) => a.schemaFingerprint({ service: 'shop' }));
    expect(added).not.toBe(live);
    await query(pg, 'ALTER TABLE customers DROP COLUMN phone');
    // Undone: the dropped column's gap in attnum does not count.
    expect(await run((a) => a.schemaFingerprint({ service: 'shop' }))).toBe(live);

    for (const change of [
      ['CREATE INDEX customers_note_idx ON customers (note)', 'DROP INDEX customers_note_idx'],
      [
        'ALTER TABLE customers ALTER COLUMN note TYPE varchar(200)',
        'ALTER TABLE customers ALTER COLUMN note TYPE text',
      ],
      [
        'ALTER TABLE reports ADD CONSTRAINT body_set CHECK (body <> $$$$)',
        'ALTER TABLE reports DROP CONSTRAINT body_set',
      ],
      ['CREATE SEQUENCE invoice_seq', 'DROP SEQUENCE invoice_seq'],
    ]) {
      await query(pg, change[0]);
      expect(await run((a) => a.schemaFingerprint({ service: 'shop' })), change[0]).not.toBe(live);
      await query(pg, change[1]);
    }
    expect(await run((a) => a.schemaFingerprint({ service: 'shop' }))).toBe(live);
  });
});

describe('keepStandby, listStandbys, useStandby, dropStandby', () => {
  it('keeps the scratch database as the standby: renamed, recorded in its comment, locked against connections', async () => {
    const kept = await run(async (a) =>
      a.keepStandby({ service: 'shop', from: SCRATCH, standby: STANDBY, record: await record() }),
    );
    expect(kept.database).toBe(STANDBY);
    expect(kept.locked).toBe(true);
    expect(kept.sizeBytes).toBeGreaterThan(1024 * 1024);
    expect(await databases()).toEqual(['shop_db', STANDBY]);
    // Nobody connects, not even the superuser the sandbox's service role is; PUBLIC lost CONNECT too.
    expect(await connectError(STANDBY)).toMatch(/is not currently accepting connections/);
    const [acl] = await query<{ public_connect: boolean }>(
      pg,
      `SELECT has_database_privilege('public', '${STANDBY}', 'CONNECT') AS public_connect`,
      'postgres',
    );
    expect(acl.public_connect).toBe(false);

    // A retry after a lost answer finds it kept.
    const again = await run(async (a) =>
      a.keepStandby({ service: 'shop', from: SCRATCH, standby: STANDBY, record: await record() }),
    );
    expect(again.database).toBe(STANDBY);

    const [found] = await run((a) => a.listStandbys({ service: 'shop' }));
    expect(found.database).toBe(STANDBY);
    expect(found.record).toMatchObject({ database: STANDBY, backupFile: FILE, drillWorkflowId: 'drill-acttest' });
    expect(found.record?.manifest.tables.find((t) => t.table === 'public.customers')?.rows).toBe(500);
    expect(found.record?.liveSchemaFingerprint).toBe(await run((a) => a.schemaFingerprint({ service: 'shop' })));
  });

  it('refuses names that are not the service’s standbys, and the live database', async () => {
    expect(await failureOf(run((a) => a.dropStandby({ service: 'shop', database: 'shop_db' })))).toBe(
      'InvalidInput (non-retryable)',
    );
    expect(await failureOf(run((a) => a.dropStandby({ service: 'shop', database: 'postgres' })))).toBe(
      'InvalidInput (non-retryable)',
    );
    expect(await failureOf(run((a) => a.useStandby({ service: 'shop', standby: STANDBY, target: 'shop_db' })))).toBe(
      'RefuseLiveDatabase (non-retryable)',
    );
    expect(
      await failureOf(run((a) => a.useStandby({ service: 'shop', standby: 'shop_db_standby_gone', target: SIDE }))),
    ).toBe('StandbyGone (non-retryable)');
    expect(await databases()).toEqual(['shop_db', STANDBY]);
  });

  it('uses the standby as a side database: renamed, open again, record cleared, owned as a restore leaves it', async () => {
    expect(await run((a) => a.useStandby({ service: 'shop', standby: STANDBY, target: SIDE }))).toBe('used');
    expect(await run((a) => a.useStandby({ service: 'shop', standby: STANDBY, target: SIDE }))).toBe('already-used');
    expect(await databases()).toEqual(['shop_db', SIDE]);
    expect(await connectError(SIDE)).toBe('connected');
    const [row] = await query<{ allowed: boolean; comment: string | null; owner: string }>(
      pg,
      `SELECT datallowconn AS allowed, shobj_description(oid, 'pg_database') AS comment, pg_get_userbyid(datdba) AS owner
         FROM pg_database WHERE datname = '${SIDE}'`,
      'postgres',
    );
    // Handed over when it was kept: the database to the live one's owner, its objects to the owner role.
    expect(row).toEqual({ allowed: true, comment: restoredAsMarker(SIDE), owner: pg.user });
    const [count] = await query<{ n: string }>(pg, 'SELECT count(*) AS n FROM customers', SIDE);
    expect(Number(count.n)).toBe(500);
    const [open] = await query<{ public_connect: boolean }>(
      pg,
      `SELECT has_database_privilege('public', '${SIDE}', 'CONNECT') AS public_connect`,
      'postgres',
    );
    expect(open.public_connect).toBe(true);
    await run((a) => a.dropDatabase({ service: 'shop', database: SIDE }));
  });

  it('drops a standby, idempotently; reports free space on the data volume', async () => {
    await run((a) => a.restoreBackup({ service: 'shop', file: FILE, targetDatabase: SCRATCH }));
    await run(async (a) => a.keepStandby({ service: 'shop', from: SCRATCH, standby: STANDBY, record: await record() }));
    await run((a) => a.dropStandby({ service: 'shop', database: STANDBY }));
    await run((a) => a.dropStandby({ service: 'shop', database: STANDBY }));
    expect(await databases()).toEqual(['shop_db']);
    // Its restore role went when it was kept.
    expect(await query(pg, "SELECT rolname FROM pg_roles WHERE rolname LIKE 'opareta\\_restore\\_%'")).toEqual([]);
    expect(await run((a) => a.listStandbys({ service: 'shop' }))).toEqual([]);
    expect(await run((a) => a.freeDiskBytes({ service: 'shop' }))).toBeGreaterThan(1024 * 1024);
  });
});

describe('as the database owner without superuser (production: a role with CREATEDB and CREATEROLE, as restores need)', () => {
  it('keeps, lists, uses and drops a standby it owns', async () => {
    await query(pg, `CREATE ROLE owner_role LOGIN CREATEDB CREATEROLE PASSWORD '${PASSWORD}'`, 'postgres');
    await query(pg, 'CREATE DATABASE owned_db OWNER owner_role', 'postgres');
    await query(pg, 'CREATE DATABASE owned_db_drill_20261201030000_cccccc OWNER owner_role', 'postgres');
    const owner = { ...pg, user: 'owner_role', database: 'owned_db' };
    const asOwner = createActivities({
      topology: testTopology({ service: 'owned', pg: owner, backupDirectory: backups.path }),
    });
    const standby = 'owned_db_standby_20261201030000_cccccc';
    const side = 'owned_db_restore_20261201040000_dddddd';
    const ownerRecord = { ...(await record()), service: 'owned', database: standby };
    const kept = await inActivity(() =>
      asOwner.keepStandby({
        service: 'owned',
        from: 'owned_db_drill_20261201030000_cccccc',
        standby,
        record: ownerRecord,
      }),
    );
    expect(kept.locked).toBe(true);
    expect((await inActivity(() => asOwner.listStandbys({ service: 'owned' })))[0].record?.database).toBe(standby);
    expect(await inActivity(() => asOwner.useStandby({ service: 'owned', standby, target: side }))).toBe('used');
    const [row] = await query<{ allowed: boolean; owner: string }>(
      pg,
      `SELECT datallowconn AS allowed, pg_get_userbyid(datdba) AS owner FROM pg_database WHERE datname = '${side}'`,
      'postgres',
    );
    expect(row).toEqual({ allowed: true, owner: 'owner_role' });
    await inActivity(() => asOwner.dropDatabase({ service: 'owned', database: side }));
    await query(pg, 'DROP DATABASE owned_db', 'postgres');
  });
});
