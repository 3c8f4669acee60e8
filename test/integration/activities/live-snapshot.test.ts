import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createActivities } from '../../../activities';
import type { DrActivities } from '../../../shared/activity-contract';
import {
  activityEnvironment,
  connect,
  ensureImage,
  inActivity,
  query,
  removeContainers,
  startPostgres,
  tempDirectory,
  testTopology,
  type PostgresContainer,
} from './helpers';

/**
 * Issue 9, point 3: the live snapshot behind the swap preview reads production within a budget. Tables too
 * large for it get the catalog's estimate, marked; a count that would wait for a lock gives way to the estimate;
 * the activity heartbeats after every table.
 */

let pg: PostgresContainer;
let backups: Awaited<ReturnType<typeof tempDirectory>>;
let activities: DrActivities;

beforeAll(async () => {
  await ensureImage();
  backups = await tempDirectory('snapshot');
  pg = await startPostgres('snapshot');
  await query(
    pg,
    `CREATE TABLE events (id bigint, payload text);
     INSERT INTO events SELECT g, repeat('x', 200) FROM generate_series(1, 100000) g;
     ANALYZE events;
     CREATE TABLE users (id int PRIMARY KEY);
     INSERT INTO users SELECT generate_series(1, 25);
     CREATE TABLE locked (id int);
     INSERT INTO locked VALUES (1), (2), (3);`,
  );
  activities = createActivities({
    topology: testTopology({ pg, backupDirectory: backups.path }),
    snapshotLimits: { exactCountBudgetBytes: 1024 * 1024 },
  });
});

afterAll(async () => {
  await removeContainers([pg?.name].filter(Boolean));
  await backups?.remove();
});

describe('snapshotDatabase of a live database', () => {
  it('counts small tables exactly, estimates the one above the budget, and heartbeats per table', async () => {
    const env = activityEnvironment();
    const beats: { tablesDone: number; tablesTotal: number }[] = [];
    env.on('heartbeat', (details: { tablesDone: number; tablesTotal: number }) => beats.push(details));
    const snapshot = await inActivity(() => activities.snapshotDatabase({ service: 'shop' }), env);
    const byTable = Object.fromEntries(snapshot.tables.map((t) => [t.table, t]));
    expect(byTable['public.users']).toEqual({ table: 'public.users', rows: 25 });
    expect(byTable['public.locked']).toEqual({ table: 'public.locked', rows: 3 });
    expect(byTable['public.events'].estimated).toBe(true);
    expect(byTable['public.events'].rows).toBeGreaterThan(90_000);
    expect(byTable['public.events'].rows).toBeLessThan(110_000);
    expect(beats.filter((b) => b.tablesTotal === 3).map((b) => b.tablesDone)).toEqual(
      expect.arrayContaining([1, 2, 3]),
    );
  });

  it('a table locked by a migration is not waited for: its count gives way to the estimate', async () => {
    const migration = connect(pg);
    await migration.connect();
    try {
      await migration.query('BEGIN');
      await migration.query('LOCK TABLE locked IN ACCESS EXCLUSIVE MODE');
      const snapshot = await inActivity(() => activities.snapshotDatabase({ service: 'shop' }));
      const locked = snapshot.tables.find((t) => t.table === 'public.locked');
      expect(locked?.estimated).toBe(true);
      expect(snapshot.tables.find((t) => t.table === 'public.users')).toEqual({ table: 'public.users', rows: 25 });
    } finally {
      await migration.query('ROLLBACK');
      await migration.end();
    }
  });
});
