import { restoredAsMarker } from '../../../activities/database-swap';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createActivities } from '../../../activities';
import type { DrActivities, SwapDatabaseNames } from '../../../shared/activity-contract';
import {
  docker,
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

let pg: PostgresContainer;
let backups: Awaited<ReturnType<typeof tempDirectory>>;
let activities: DrActivities;

function namesFor(stamp: string): SwapDatabaseNames {
  return {
    live: 'shop_db',
    side: `shop_db_restore_${stamp}`,
    preRestore: `shop_db_pre_restore_${stamp}`,
    failedRestore: `shop_db_failed_restore_${stamp}`,
  };
}

async function databases(): Promise<string[]> {
  const rows = await query<{ datname: string }>(pg, "SELECT datname FROM pg_database WHERE datname LIKE 'shop%'");
  return rows.map((r) => r.datname).sort();
}

async function users(database: string): Promise<number> {
  const [row] = await query<{ n: string }>(pg, 'SELECT count(*) AS n FROM users', database);
  return Number(row.n);
}

/** A side database as a restore makes it: its comment is its identity (restoredAsMarker). */
async function makeSide(names: SwapDatabaseNames, rows: number): Promise<void> {
  await query(pg, `CREATE DATABASE "${names.side}"`, 'postgres');
  await query(pg, `COMMENT ON DATABASE "${names.side}" IS '${restoredAsMarker(names.side)}'`, 'postgres');
  await query(
    pg,
    `CREATE TABLE users (id int PRIMARY KEY); INSERT INTO users SELECT generate_series(1, ${rows});`,
    names.side,
  );
}

beforeAll(async () => {
  await ensureImage();
  backups = await tempDirectory('swap');
  pg = await startPostgres('swap');
  await query(pg, 'CREATE TABLE users (id int PRIMARY KEY); INSERT INTO users SELECT generate_series(1, 42);');
  activities = createActivities({ topology: testTopology({ pg, backupDirectory: backups.path }) });
});

afterAll(async () => {
  if (pg)
    await docker
      .getContainer(pg.name)
      .unpause()
      .catch(() => undefined);
  await removeContainers([pg?.name].filter(Boolean));
  await backups?.remove();
});

describe('swap and swap-back on a real server', () => {
  it('swaps both names in one step, keeps the restored copy on swap-back, and counts what was written to it', async () => {
    const names = namesFor('20261201000000_aaaaaa');
    await makeSide(names, 50);
    const swap = () => inActivity(() => activities.swapDatabaseNames({ service: 'shop', names }));

    expect(await swap()).toBe('swapped');
    expect(await databases()).toEqual(['shop_db', names.preRestore]);
    expect(await users('shop_db')).toBe(50);
    expect(await users(names.preRestore)).toBe(42);
    // A retry after a lost answer finds the work done and changes nothing.
    expect(await swap()).toBe('already-swapped');
    expect(await databases()).toEqual(['shop_db', names.preRestore]);

    // The apps write after their restart on the restored database...
    await query(pg, 'INSERT INTO users VALUES (1001), (1002), (1003)');
    const back = () => inActivity(() => activities.swapBackDatabaseNames({ service: 'shop', names }));
    expect(await back()).toBe('swapped-back');
    // ...and those rows are kept, under the failed-restore name, beside the original live data.
    expect(await databases()).toEqual(['shop_db', names.failedRestore]);
    expect(await users('shop_db')).toBe(42);
    expect(await users(names.failedRestore)).toBe(53);
    expect(await back()).toBe('already-swapped-back');
    const changes = await inActivity(() =>
      activities.rowChangesSince({
        service: 'shop',
        database: names.failedRestore,
        expected: [{ table: 'public.users', rows: 50 }],
      }),
    );
    expect(changes).toEqual([{ table: 'public.users', expectedRows: 50, rows: 53 }]);
    await query(pg, `DROP DATABASE "${names.failedRestore}"`, 'postgres');
  });

  it('fails the attempt while the server is unreachable, and a retry after it is back finishes the swap', async () => {
    const names = namesFor('20261201000001_bbbbbb');
    await makeSide(names, 7);
    const container = docker.getContainer(pg.name);
    await container.pause();
    try {
      // A plain error: retryable, so Temporal tries again until the swap's time bound.
      expect(await failureOf(inActivity(() => activities.swapDatabaseNames({ service: 'shop', names })))).toBe('Error');
    } finally {
      await container.unpause();
    }
    // Nothing was half done: both names as before.
    expect(await databases()).toEqual(['shop_db', names.side]);
    expect(await inActivity(() => activities.swapDatabaseNames({ service: 'shop', names }))).toBe('swapped');
    expect(await users('shop_db')).toBe(7);
    expect(await inActivity(() => activities.swapBackDatabaseNames({ service: 'shop', names }))).toBe('swapped-back');
    expect(await users('shop_db')).toBe(42);
    await query(pg, `DROP DATABASE "${names.failedRestore}"`, 'postgres');
  });

  it('does not report a swap it did not make: the side database dropped by hand while waiting for approval', async () => {
    const names = namesFor('20261201000003_dddddd');
    await makeSide(names, 5);
    await query(pg, `DROP DATABASE "${names.side}"`, 'postgres');
    const swap = () => inActivity(() => activities.swapDatabaseNames({ service: 'shop', names }));
    expect(await failureOf(swap())).toBe('SwapStateUnexpected (non-retryable)');
    await expect(swap()).rejects.toThrow(
      `cannot swap: the restored database ${names.side} no longer exists, and shop_db is not it (no comment); nothing was renamed`,
    );
    expect(await databases()).toEqual(['shop_db']);
    expect(await users('shop_db')).toBe(42);
  });

  it('refuses, touching nothing, a state no swap step leaves', async () => {
    const names = namesFor('20261201000002_cccccc');
    await makeSide(names, 3);
    await query(pg, `CREATE DATABASE "${names.preRestore}"`, 'postgres');
    const swap = () => inActivity(() => activities.swapDatabaseNames({ service: 'shop', names }));
    expect(await failureOf(swap())).toBe('SwapStateUnexpected (non-retryable)');
    await expect(swap()).rejects.toThrow(`${names.preRestore} already exists`);
    expect(await databases()).toEqual(['shop_db', names.preRestore, names.side]);
    expect(await users('shop_db')).toBe(42);
    await query(pg, `DROP DATABASE "${names.preRestore}"`, 'postgres');
    await query(pg, `DROP DATABASE "${names.side}"`, 'postgres');
  });
});

describe('room and retention on a real server', () => {
  it('checkDiskRoom reads the data volume with df in the container and refuses what does not fit', async () => {
    const room = await inActivity(() => activities.checkDiskRoom({ service: 'shop', neededBytes: 1024 }));
    expect(room.freeBytes).toBeGreaterThan(1024);
    const tooMuch = room.freeBytes * 2;
    expect(await failureOf(inActivity(() => activities.checkDiskRoom({ service: 'shop', neededBytes: tooMuch })))).toBe(
      'InsufficientDiskSpace (non-retryable)',
    );
    await expect(inActivity(() => activities.checkDiskRoom({ service: 'shop', neededBytes: tooMuch }))).rejects.toThrow(
      /needs about .* GB on the volume of \/var\/lib\/postgresql\/data .* nothing was changed/,
    );
  });

  it('listRestoreCopies finds the copies restores keep, with their time and size, and nothing else', async () => {
    const names = ['shop_db_pre_restore_20261101020000_abcdef', 'shop_db_failed_restore_20261102030405_012345'];
    for (const name of [...names, 'shop_db_restore_20261101020000_abcdef', 'shop_db_pre_restore_notastamp']) {
      await query(pg, `CREATE DATABASE "${name}"`, 'postgres');
    }
    try {
      const copies = await inActivity(() => activities.listRestoreCopies({ service: 'shop' }));
      expect(copies.map((c) => [c.database, c.kind, c.madeAt])).toEqual([
        [names[1], 'failed-restore', '2026-11-02T03:04:05Z'],
        [names[0], 'pre-restore', '2026-11-01T02:00:00Z'],
      ]);
      expect(copies.every((c) => c.sizeBytes > 0)).toBe(true);
    } finally {
      for (const name of await databases())
        if (name !== 'shop_db') await query(pg, `DROP DATABASE "${name}"`, 'postgres');
    }
  });
});
