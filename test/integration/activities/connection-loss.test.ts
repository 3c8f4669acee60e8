import path from 'node:path';
import type { Client } from 'pg';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createActivities } from '../../../activities';
import { createPostgresAccess } from '../../../activities/postgres';
import type { RestoreProgress } from '../../../shared/activity-contract';
import {
  activityEnvironment,
  docker,
  ensureImage,
  inActivity,
  PASSWORD,
  query,
  removeContainers,
  startPostgres,
  tempDirectory,
  testTopology,
  writeSyntheticDump,
  type PostgresContainer,
} from './helpers';

/**
 * A database container killed under a connected activity: the attempt fails with an error (Temporal retries
 * it), the process goes on. Before withClient listened for it, node-postgres' 'error' event of a dropped
 * connection ("Connection terminated unexpectedly") ended the whole worker.
 */
const FILE = 'shop_20240401_020000.sql.gz';
let pg: PostgresContainer;
let backups: Awaited<ReturnType<typeof tempDirectory>>;
const uncaught: unknown[] = [];
const recordUncaught = (err: unknown) => uncaught.push(err);

beforeAll(async () => {
  await ensureImage();
  backups = await tempDirectory('connection-loss');
  pg = await startPostgres('connloss');
  // About 200 MB of SQL: the restore is still streaming when the container is killed.
  await writeSyntheticDump(path.join(backups.path, FILE), 3_000_000);
  // Anything that would have ended a worker process ends up here instead of passing silently.
  process.on('uncaughtException', recordUncaught);
});

afterAll(async () => {
  process.off('uncaughtException', recordUncaught);
  await removeContainers([pg?.name].filter(Boolean));
  await backups?.remove();
});

beforeEach(async () => {
  uncaught.length = 0;
  await ensureRunning();
});

afterEach(() => {
  expect(uncaught).toEqual([]);
});

function service() {
  return testTopology({ pg, backupDirectory: backups.path }).services.shop;
}

/** Starts the container again if it was killed, and waits until it answers (its host port may change). */
async function ensureRunning(): Promise<void> {
  const container = docker.getContainer(pg.name);
  if (!(await container.inspect()).State.Running) await container.start();
  const info = await container.inspect();
  pg = { ...pg, port: Number(info.NetworkSettings.Ports['5432/tcp'][0].HostPort) };
  for (let attempt = 0; ; attempt++) {
    try {
      await query(pg, 'SELECT 1');
      return;
    } catch (err) {
      if (attempt > 200) throw err;
      await new Promise((resolve) => setTimeout(resolve, 300));
    }
  }
}

async function waitForQuery(text: string): Promise<void> {
  for (;;) {
    const rows = await query<{ n: number }>(
      pg,
      `SELECT count(*)::int AS n FROM pg_stat_activity WHERE query = '${text}' AND state = 'active'`,
    );
    if (rows[0].n > 0) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

const postgres = createPostgresAccess(() => PASSWORD);

describe('a database container killed under an activity', () => {
  it('mid-query: the query and the attempt fail with the connection named; the process lives on', async () => {
    const sql = 'SELECT pg_sleep(600)';
    const attempt = inActivity(() => postgres.withClient(service(), pg.database, (client) => client.query(sql))).then(
      () => 'completed',
      (err: Error) => err.message,
    );
    await waitForQuery(sql);
    await docker.getContainer(pg.name).kill();

    expect(await attempt).toMatch(
      new RegExp(`^connection to database ${pg.database} as ${pg.user} at 127\\.0\\.0\\.1:${pg.port} lost: `),
    );
    expect(await attempt).toMatch(/Connection terminated unexpectedly/);
  });

  it('between queries: the next query fails the attempt instead of an unhandled error event ending the process', async () => {
    let connected!: () => void;
    const isConnected = new Promise<void>((resolve) => (connected = resolve));
    const attempt = inActivity(() =>
      postgres.withClient(service(), pg.database, async (client: Client) => {
        await client.query('SELECT 1');
        // Held idle, as the restore holds its role connection while psql runs: no query in flight.
        const ended = new Promise((resolve) => client.once('end', resolve));
        connected();
        await ended;
        return client.query('SELECT 1');
      }),
    ).then(
      () => 'completed',
      (err: Error) => err.message,
    );
    await isConnected;
    await docker.getContainer(pg.name).kill();

    expect(await attempt).toMatch(
      /lost: Connection terminated unexpectedly \(Client has encountered a connection error/,
    );
  });

  it('mid-restore: the restore attempt fails, and the next attempt restores once the database is back', async () => {
    const env = activityEnvironment();
    let killed: Promise<void> | undefined;
    env.on('heartbeat', (progress: RestoreProgress) => {
      if (killed || progress.bytesDone === 0) return;
      killed = docker.getContainer(pg.name).kill();
    });
    const activities = createActivities({ topology: testTopology({ pg, backupDirectory: backups.path }) });
    const outcome = await inActivity(
      () => activities.restoreBackup({ service: 'shop', file: FILE, targetDatabase: 'shop_db_restore_killed' }),
      env,
    ).then(
      () => 'completed',
      (err: Error) => err,
    );
    await killed;
    expect(killed).toBeDefined();
    expect(outcome).toBeInstanceOf(Error);

    // What Temporal's retry does: the same activity again, once the container is back.
    await ensureRunning();
    const retried = createActivities({ topology: testTopology({ pg, backupDirectory: backups.path }) });
    const result = await inActivity(() =>
      retried.restoreBackup({ service: 'shop', file: FILE, targetDatabase: 'shop_db_restore_killed' }),
    );
    expect(result.tables.map((t) => [t.table, t.rows])).toEqual([['public.events', 3_000_000]]);
    expect(
      await query<{ n: number }>(pg, 'SELECT count(*)::int AS n FROM public.events', 'shop_db_restore_killed'),
    ).toEqual([{ n: 3_000_000 }]);
  }, 300_000);
});
