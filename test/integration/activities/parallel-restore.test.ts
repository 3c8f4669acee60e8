import { spawn } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createActivities } from '../../../activities';
import { ledgerSchema } from '../../../activities/restore-ledger';
import type { BackupManifest, DrActivities, RestoreProgress, RestoreResult } from '../../../shared/activity-contract';
import { projectRoot } from '../../../shared/node/settings';
import {
  activityEnvironment,
  dumpToFile,
  ensureImage,
  inActivity,
  query,
  removeContainers,
  startPostgres,
  tempDirectory,
  testTopology,
  type PostgresContainer,
} from './helpers';
import { seedShop } from './seed';

/**
 * Issue 11: the parallel, resumable restore on real PostgreSQL. A real pg_dump of the seeded shop (keys, foreign
 * keys, indexes, quoted names, tricky text), cut into small COPY units so that even these tables load in several
 * chunks on several connections: the result must equal the one-connection restore row for row and definition for
 * definition; a restore killed with SIGKILL in its middle must resume from the ledger and end up identical.
 */

const FILE = 'shop_20240101_020000.sql.gz';
const CUT_BYTES = 64 * 1024;
let source: PostgresContainer;
let target: PostgresContainer;
let backups: Awaited<ReturnType<typeof tempDirectory>>;
let activities: DrActivities;
let manifest: BackupManifest;
let topologyInput: unknown;

beforeAll(async () => {
  await ensureImage();
  backups = await tempDirectory('parallel');
  [source, target] = await Promise.all([startPostgres('psrc'), startPostgres('pdst')]);
  await seedShop(source, 20_000);
  await dumpToFile(source, path.join(backups.path, FILE));
  const topology = testTopology({ pg: target, backupDirectory: backups.path });
  topologyInput = topology;
  activities = createActivities({ topology, copyCutBytes: CUT_BYTES });
  manifest = await inActivity(() => activities.verifyBackup({ service: 'shop', file: FILE }));
});

afterAll(async () => {
  await removeContainers([source?.name, target?.name].filter(Boolean));
  await backups?.remove();
});

/** Every table's row count and an order-independent checksum of its rows, and every index and constraint. */
async function fingerprint(database: string): Promise<Record<string, string>> {
  const tables = await query<{ name: string }>(
    target,
    `SELECT format('%I.%I', n.nspname, c.relname) AS name FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE c.relkind = 'r' AND n.nspname NOT IN ('pg_catalog', 'information_schema') ORDER BY 1`,
    database,
  );
  const print: Record<string, string> = {};
  for (const { name } of tables) {
    const [row] = await query<{ rows: string; sum: string }>(
      target,
      `SELECT count(*)::text AS rows, md5(coalesce(string_agg(t::text, E'\\n' ORDER BY t::text), '')) AS sum FROM ${name} t`,
      database,
    );
    print[name] = `${row.rows} ${row.sum}`;
  }
  const definitions = await query<{ def: string }>(
    target,
    `SELECT indexdef AS def FROM pg_indexes WHERE schemaname = 'public'
     UNION ALL SELECT conrelid::regclass || ' ' || pg_get_constraintdef(oid) FROM pg_constraint WHERE connamespace = 'public'::regnamespace
     ORDER BY 1`,
    database,
  );
  print.definitions = definitions.map((d) => d.def).join('\n');
  return print;
}

function restore(targetDatabase: string, jobs: number, heartbeats?: RestoreProgress[]): Promise<RestoreResult> {
  const env = activityEnvironment();
  if (heartbeats) env.on('heartbeat', (details: RestoreProgress) => heartbeats.push(details));
  return inActivity(() => activities.restoreBackup({ service: 'shop', file: FILE, targetDatabase, jobs }), env);
}

describe('parallel restore', () => {
  let serial: Record<string, string>;

  it('loads COPY chunks and post-data steps on several connections; equal to the one-connection restore', async () => {
    const one = await restore('shop_db_restore_one', 1);
    expect(one.jobs).toBe(1);
    serial = await fingerprint('shop_db_restore_one');
    expect(Object.fromEntries(manifest.tables.map((t) => [t.table, t.rows]))).toMatchObject({
      'public.ledger_entries': 80_000,
    });

    const heartbeats: RestoreProgress[] = [];
    const three = await restore('shop_db_restore_three', 3, heartbeats);
    expect(three.jobs).toBe(3);
    // ledger_entries alone is several MB of SQL: many 64 kB chunks, plus the schema and the post-data steps.
    expect(three.units).toBeGreaterThan(20);
    expect(three.manifest?.tables).toEqual(manifest.tables);
    expect(await fingerprint('shop_db_restore_three')).toEqual(serial);
    expect(heartbeats.some((h) => h.units?.jobs === 3)).toBe(true);
    // The ledger went with the restore: nothing of the product's bookkeeping is left in the database.
    const schemas = await query<{ nspname: string }>(
      target,
      "SELECT nspname FROM pg_namespace WHERE nspname LIKE 'opareta%'",
      'shop_db_restore_three',
    );
    expect(schemas).toEqual([]);
  });

  it('resumes after a restore killed with SIGKILL: skips the committed units, redoes the one in flight', async () => {
    const side = 'shop_db_restore_resumed';
    const requestFile = path.join(backups.path, 'child-request.json');
    await writeFile(
      requestFile,
      JSON.stringify({
        topology: topologyInput,
        service: 'shop',
        file: FILE,
        targetDatabase: side,
        jobs: 2,
        copyCutBytes: CUT_BYTES,
      }),
    );
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', path.join(projectRoot, 'test', 'support', 'restore-activity-child.ts'), requestFile],
      { stdio: ['ignore', 'ignore', 'inherit'], env: process.env },
    );
    const exited = new Promise<NodeJS.Signals | number | null>((resolve) =>
      child.on('exit', (code, signal) => resolve(signal ?? code)),
    );
    // Killed once the ledger shows a few committed units, mid-way through the biggest table.
    const ledger = ledgerSchema(side);
    let committed = 0;
    for (let i = 0; i < 600 && committed < 8; i++) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      const rows = await query<{ n: number }>(target, `SELECT count(*)::int AS n FROM ${ledger}.units`, side).catch(
        () => [{ n: 0 }],
      );
      committed = rows[0].n;
    }
    child.kill('SIGKILL');
    expect(await exited).toBe('SIGKILL');
    expect(committed).toBeGreaterThanOrEqual(8);

    const resumed = await restore(side, 2);
    expect(resumed.unitsSkipped).toBeGreaterThanOrEqual(8);
    expect(resumed.resumedFrom).toMatch(/rows #\d+$|^schema$|^ADD CONSTRAINT|^CREATE INDEX|^setval/);
    expect(await fingerprint(side)).toEqual(serial);
  });

  it('refuses a jobs value that is not a whole number from 1 to 32, before touching anything', async () => {
    await expect(restore('shop_db_restore_bad_jobs', 0)).rejects.toMatchObject({
      type: 'InvalidInput',
      nonRetryable: true,
      message: expect.stringMatching(/jobs must be a whole number from 1 to 32, got 0/),
    });
  });
});
