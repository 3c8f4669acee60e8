import { rm } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backupService } from '../../sandbox';
import type { RestoreDatabaseResult } from '../../shared/workflow-types';
import { useWorkerProcess } from '../support/e2e-worker';
import { healthStatuses } from '../support/health';
import {
  backups,
  databasesOf,
  dropDatabasesNotIn,
  liveRowCounts,
  manifestRowCounts,
  quoteIdentifier,
  sandboxService,
  sortCounts,
} from '../support/sandbox-db';
import { testWorkflowId, useTemporalClient } from '../support/temporal-client';
import { restoreDatabase, restoreDrill } from '../../workflows';
import { createPostgresAccess } from '../../activities/postgres';
import { readDatabasePassword } from '../../shared/node/secrets';

/**
 * The warm standby on the sandbox with the real worker (config/sandbox.json turns it on): a drill keeps its
 * verified scratch database, a restore of latest swaps it in without restoring; a standby made stale by a newer
 * backup or by a change of the live schema is not used, and the restore is a normal one. Every database and
 * backup file this file makes is removed at the end.
 */
const SERVICE = 'argus';

describe('warm standby on the sandbox', () => {
  const { taskQueue } = useWorkerProcess('standby');
  const client = useTemporalClient();
  let databasesBefore: string[] = [];

  beforeAll(async () => {
    databasesBefore = await databasesOf(SERVICE);
  });

  afterAll(async () => {
    await dropDatabasesNotIn(SERVICE, databasesBefore);
  });

  async function drillArgus(): Promise<string> {
    const result = await (
      await client()
    ).workflow.execute(restoreDrill, {
      taskQueue,
      workflowId: testWorkflowId('e2e-standby-drill'),
      args: [{ services: [SERVICE] }],
    });
    const [report] = result.services;
    expect(report.passed).toBe(true);
    expect(report.standby?.kept).toBe(true);
    expect(report.standby?.backupFile).toBe((await backups(SERVICE))[0].file);
    expect(report.standby?.sizeBytes).toBeGreaterThan(1024 * 1024);
    const name = report.standby!.database!;
    const databases = await databasesOf(SERVICE);
    expect(databases).toContain(name);
    expect(databases).not.toContain(report.scratchDatabase);
    // One standby per service: the drill replaced any earlier one.
    expect(databases.filter((d) => d.startsWith(`${sandboxService(SERVICE).database}_standby_`))).toEqual([name]);
    return name;
  }

  async function restoreLatest(): Promise<RestoreDatabaseResult> {
    const result = await (
      await client()
    ).workflow.execute(restoreDatabase, {
      taskQueue,
      workflowId: testWorkflowId('e2e-standby-restore'),
      args: [{ service: SERVICE }],
    });
    expect(result.outcome).toBe('restored');
    const latest = (await backups(SERVICE))[0].file;
    expect(result.backup?.file).toBe(latest);
    expect(sortCounts(await liveRowCounts(SERVICE))).toEqual(sortCounts(await manifestRowCounts(SERVICE, latest)));
    expect(await healthStatuses(SERVICE)).toEqual([200, 200]);
    return result;
  }

  it('a drill keeps a standby; a restore of latest swaps it in without restoring', async () => {
    const standby = await drillArgus();
    const result = await restoreLatest();

    expect(result.fromStandby).toBe(true);
    expect(result.standby).toBe(standby);
    expect(result.verification?.passed).toBe(true);
    const databases = await databasesOf(SERVICE);
    expect(databases).not.toContain(standby);
    expect(databases).toContain(result.databases.preRestore);
    // The swap preview came from the recorded manifest: the backup's row counts.
    expect(result.expectedLoss.length).toBeGreaterThan(0);
  }, 300_000);

  it('a newer backup since the drill makes the standby stale: a normal restore of the newer one', async () => {
    const standby = await drillArgus();
    const newer = await backupService(SERVICE, { timestamp: new Date(Date.now() + 1000) });
    try {
      const result = await restoreLatest();
      expect(result.backup?.file).toBe(path.basename(newer.file));
      expect(result.fromStandby).toBe(false);
      expect(result.standbyUnusedReason).toContain(`no standby of the chosen backup ${path.basename(newer.file)}`);
      expect(result.restoreSeconds).toBeGreaterThan(0);
      // Not used, not dropped: it still stands for its own backup.
      expect(await databasesOf(SERVICE)).toContain(standby);
    } finally {
      await rm(newer.file, { force: true });
    }
  }, 300_000);

  it('a change of the live schema since the drill makes the standby stale: a normal restore', async () => {
    const standby = await drillArgus();
    const config = sandboxService(SERVICE);
    const postgres = createPostgresAccess(readDatabasePassword);
    const column = 'e2e_standby_probe';
    await postgres.withClient(config, config.database, (c) =>
      c.query(`ALTER TABLE public.users ADD COLUMN ${quoteIdentifier(column)} int`),
    );
    try {
      const result = await restoreLatest();
      expect(result.fromStandby).toBe(false);
      expect(result.standbyUnusedReason).toMatch(/live schema of argus_db changed since/);
      expect(await databasesOf(SERVICE)).toContain(standby);
    } finally {
      // The restore put the backup's schema live; the probe is gone unless the restore failed before its swap.
      await postgres.withClient(config, config.database, (c) =>
        c.query(`ALTER TABLE public.users DROP COLUMN IF EXISTS ${quoteIdentifier(column)}`),
      );
    }
  }, 300_000);
});
