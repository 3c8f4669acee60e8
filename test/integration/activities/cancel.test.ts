import { CancelledFailure } from '@temporalio/common';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createActivities } from '../../../activities';
import type { DrActivities, RestoreProgress } from '../../../shared/activity-contract';
import {
  activityEnvironment,
  ensureImage,
  inActivity,
  processesMatching,
  query,
  removeContainers,
  startPostgres,
  tempDirectory,
  testTopology,
  writeSyntheticDump,
  type PostgresContainer,
} from './helpers';

const FILE = 'shop_20240301_020000.sql.gz';
/** Held half-way by a pg_sleep between two COPY blocks: the cancel lands mid-restore on any machine. */
const HELD_FILE = 'shop_20240302_020000.sql.gz';
let pg: PostgresContainer;
let backups: Awaited<ReturnType<typeof tempDirectory>>;
let activities: DrActivities;

beforeAll(async () => {
  await ensureImage();
  backups = await tempDirectory('cancel');
  pg = await startPostgres('cancel');
  // About 200 MB of SQL, for the restore after the cancel.
  await writeSyntheticDump(path.join(backups.path, FILE), 3_000_000);
  await writeSyntheticDump(path.join(backups.path, HELD_FILE), 1_000_000, 'public.events', 200_000);
  activities = createActivities({ topology: testTopology({ pg, backupDirectory: backups.path }) });
});

afterAll(async () => {
  await removeContainers([pg?.name].filter(Boolean));
  await backups?.remove();
});

async function sleepingInRestore(): Promise<boolean> {
  const rows = await query(
    pg,
    "SELECT 1 FROM pg_stat_activity WHERE datname = 'shop_db_cancelled' AND state = 'active' AND query LIKE '%pg_sleep(3600)%'",
  );
  return rows.length > 0;
}

describe('cancelling a restore', () => {
  it('through the activity context stops psql in the container and leaves no target database', async () => {
    const env = activityEnvironment();
    const heartbeats: RestoreProgress[] = [];
    let psqlWhenCancelled: string[] = [];
    env.on('heartbeat', (progress: RestoreProgress) => heartbeats.push(progress));
    // The gate: cancelled once the restore sits in the dump's pg_sleep, with the rows after it still unread.
    const cancelling = (async () => {
      while (!(await sleepingInRestore())) await new Promise((resolve) => setTimeout(resolve, 200));
      psqlWhenCancelled = await processesMatching(pg.name, 'psql');
      env.cancel();
    })();
    const outcome = await inActivity(
      () => activities.restoreBackup({ service: 'shop', file: HELD_FILE, targetDatabase: 'shop_db_cancelled' }),
      env,
    ).then(
      () => 'completed',
      (err: unknown) => err,
    );
    await cancelling;

    expect(outcome).toBeInstanceOf(CancelledFailure);
    expect(psqlWhenCancelled.length).toBeGreaterThan(0);
    const last = heartbeats.at(-1)!;
    expect(last.percent).toBeGreaterThan(0);
    expect(last.percent).toBeLessThan(100);
    expect(last.bytesTotal).toBeGreaterThan(last.bytesDone);
    expect(await processesMatching(pg.name, 'psql')).toEqual([]);
    expect(await query(pg, "SELECT 1 FROM pg_database WHERE datname = 'shop_db_cancelled'")).toEqual([]);
    expect(await query(pg, "SELECT pid FROM pg_stat_activity WHERE datname = 'shop_db_cancelled'")).toEqual([]);
  });

  it('a later attempt into the same target restores every row', async () => {
    const result = await inActivity(() =>
      activities.restoreBackup({ service: 'shop', file: FILE, targetDatabase: 'shop_db_cancelled' }),
    );
    expect(result.tables).toEqual([{ table: 'public.events', rows: 3_000_000 }]);
    expect(await query(pg, 'SELECT count(*)::int AS n FROM public.events', 'shop_db_cancelled')).toEqual([
      { n: 3_000_000 },
    ]);
  });
});
