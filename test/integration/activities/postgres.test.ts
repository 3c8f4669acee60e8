import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createActivities } from '../../../activities';
import type { DrActivities } from '../../../shared/activity-contract';
import {
  connect,
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

beforeAll(async () => {
  await ensureImage();
  backups = await tempDirectory('pg');
  pg = await startPostgres('pgops');
  await query(pg, 'CREATE TABLE users (id int PRIMARY KEY); INSERT INTO users SELECT generate_series(1, 42);');
  activities = createActivities({ topology: testTopology({ pg, backupDirectory: backups.path }) });
});

afterAll(async () => {
  await removeContainers([pg?.name].filter(Boolean));
  await backups?.remove();
});

describe('PostgreSQL activities', () => {
  it('checkConnectivity answers with the server version; a wrong password fails naming the database', async () => {
    const { serverVersion } = await inActivity(() => activities.checkConnectivity({ service: 'shop' }));
    expect(serverVersion).toMatch(/^15\./);
    const wrong = createActivities({
      topology: testTopology({ pg, backupDirectory: backups.path }),
      readPassword: () => 'not-the-password',
    });
    const message = await inActivity(() => wrong.checkConnectivity({ service: 'shop' })).catch((e: Error) => e.message);
    expect(message).toMatch(
      /cannot connect to database shop_db as shop at 127\.0\.0\.1:\d+: password authentication failed/,
    );
    expect(message).not.toContain('not-the-password');
  });

  it('snapshotDatabase documents the current state; a missing database says so', async () => {
    const snapshot = await inActivity(() => activities.snapshotDatabase({ service: 'shop' }));
    expect(snapshot).toMatchObject({
      database: 'shop_db',
      exists: true,
      tables: [{ table: 'public.users', rows: 42 }],
    });
    expect(snapshot.sizeBytes).toBeGreaterThan(0);
    expect(snapshot.serverVersion).toMatch(/^15\./);
    const missing = await inActivity(() => activities.snapshotDatabase({ service: 'shop', database: 'no_such_db' }));
    expect(missing).toMatchObject({ database: 'no_such_db', exists: false, tables: [] });
  });

  it('terminateBackends ends the sessions of one database', async () => {
    const session = connect(pg);
    await session.connect();
    session.on('error', () => undefined);
    const ended = await inActivity(() => activities.terminateBackends({ service: 'shop', database: 'shop_db' }));
    expect(ended).toBeGreaterThanOrEqual(1);
    await expect(session.query('SELECT 1')).rejects.toThrow();
    await session.end().catch(() => undefined);
  });

  it('renames idempotently, drops side databases, refuses the live one', async () => {
    await query(pg, 'CREATE DATABASE "side_a"');
    await inActivity(() => activities.renameDatabase({ service: 'shop', from: 'side_a', to: 'side_b' }));
    await inActivity(() => activities.renameDatabase({ service: 'shop', from: 'side_a', to: 'side_b' }));
    expect(await inActivity(() => activities.databaseExists({ service: 'shop', database: 'side_a' }))).toBe(false);
    expect(await inActivity(() => activities.databaseExists({ service: 'shop', database: 'side_b' }))).toBe(true);
    expect(
      await failureOf(inActivity(() => activities.renameDatabase({ service: 'shop', from: 'gone', to: 'also_gone' }))),
    ).toBe('InvalidInput (non-retryable)');
    expect(
      await failureOf(inActivity(() => activities.renameDatabase({ service: 'shop', from: 'side_b', to: 'shop_db' }))),
    ).toBe('InvalidInput (non-retryable)');

    const holder = connect(pg, 'side_b');
    await holder.connect();
    holder.on('error', () => undefined);
    await inActivity(() => activities.dropDatabase({ service: 'shop', database: 'side_b' }));
    await inActivity(() => activities.dropDatabase({ service: 'shop', database: 'side_b' }));
    await holder.end().catch(() => undefined);
    expect(await inActivity(() => activities.databaseExists({ service: 'shop', database: 'side_b' }))).toBe(false);
    expect(await failureOf(inActivity(() => activities.dropDatabase({ service: 'shop', database: 'shop_db' })))).toBe(
      'RefuseLiveDatabase (non-retryable)',
    );
    expect(await inActivity(() => activities.databaseExists({ service: 'shop', database: 'shop_db' }))).toBe(true);
  });

  it('databaseSizes reads pg_database_size of the databases that exist, refusing a hostile name', async () => {
    const [expected] = await query<{ size: string }>(pg, "SELECT pg_database_size('shop_db') AS size");
    const sizes = await inActivity(() =>
      activities.databaseSizes({ service: 'shop', databases: ['shop_db', 'shop_db_gone'] }),
    );
    expect(sizes).toEqual({ shop_db: Number(expected.size) });
    expect(
      await failureOf(inActivity(() => activities.databaseSizes({ service: 'shop', databases: ['x"; DROP'] }))),
    ).toBe('InvalidInput (non-retryable)');
  });

  it('an unknown service is UnknownService, non-retryable', async () => {
    expect(await failureOf(inActivity(() => activities.checkConnectivity({ service: 'nope' })))).toBe(
      'UnknownService (non-retryable)',
    );
  });
});
