import { describe, expect, it } from 'vitest';
import type { WorkflowHandle } from '@temporalio/client';
import { RESTORE_BACKUP_ACTIVITY, type DrActivities } from '../../shared/activity-contract';
import type { FullSystemRestoreResult } from '../../shared/workflow-types';
import { activityExecutions } from '../support/activity-history';
import { useWorkerProcess } from '../support/e2e-worker';
import { healthStatuses } from '../support/health';
import {
  backups,
  databasesOf,
  dropKeptDatabases,
  liveRowCounts,
  manifestRowCounts,
  sortCounts,
} from '../support/sandbox-db';
import { temporalCli } from '../support/temporal-cli';
import { testWorkflowId, useTemporalClient } from '../support/temporal-client';
import { fullSystemRestore } from '../../workflows';

const services = ['argus', 'hermes'];

/**
 * The downtime is the swap's alone: no app went down before the last restore was under way. Read from the
 * history's order, not from a clock, so a slow or loaded machine cannot fail it.
 */
async function expectAppsStoppedAfterEveryRestore(handle: WorkflowHandle, result: FullSystemRestoreResult) {
  const stopApps = 'stopApps' satisfies keyof DrActivities;
  const order = (await activityExecutions(handle)).map((activity) => activity.name);
  expect(order).toContain(stopApps);
  expect(order.lastIndexOf(RESTORE_BACKUP_ACTIVITY)).toBeLessThan(order.indexOf(stopApps));
  expect(result.downtimeSeconds).toBeGreaterThan(0);
}

function generationOf(file: string): string {
  return /_(\d{8}_\d{6})\.sql\.gz$/.exec(file)![1];
}

describe('fullSystemRestore on the sandbox', () => {
  const { taskQueue } = useWorkerProcess('full-restore');
  const client = useTemporalClient();

  it('restores every database from a generation older than the live data, keeping the old databases', async () => {
    const older = Object.fromEntries(await Promise.all(services.map(async (s) => [s, (await backups(s))[1]] as const)));
    const timestamp = generationOf(older.argus.file);
    const liveBefore = Object.fromEntries(
      await Promise.all(services.map(async (s) => [s, await liveRowCounts(s)] as const)),
    );

    const handle = await (
      await client()
    ).workflow.start(fullSystemRestore, {
      taskQueue,
      workflowId: testWorkflowId('e2e-full-older'),
      args: [{ timestamp }],
    });
    const result = await handle.result();

    expect(result.outcome).toBe('restored');
    expect(result.rolledBack).toBe(false);
    for (const service of services) {
      const part = result.services.find((s) => s.service === service)!;
      expect(part.backup?.file).toBe(older[service].file);
      expect(sortCounts(await liveRowCounts(service))).toEqual(
        sortCounts(await manifestRowCounts(service, older[service].file)),
      );
      // Nothing lost: the data from before the restore is intact under the pre_restore name.
      expect(await databasesOf(service)).toContain(part.databases.preRestore);
      expect(sortCounts(await liveRowCounts(service, part.databases.preRestore))).toEqual(
        sortCounts(liveBefore[service]),
      );
      expect(await healthStatuses(service)).toEqual([200, 200]);
      // As `docker compose ps` shows them: the database container and both apps, all running.
      expect(part.containers.map((c) => c.name).sort()).toEqual(
        [`opareta-postgres-${service}`, `opareta-${service}-1`, `opareta-${service}-2`].sort(),
      );
      expect(part.containers.every((c) => c.state === 'running')).toBe(true);
    }
    await expectAppsStoppedAfterEveryRestore(handle, result);
  }, 300_000);

  it('`temporal workflow execute --type fullSystemRestore --input {}` brings back exactly the latest backups', async () => {
    const workflowId = testWorkflowId('e2e-full-latest');
    const stdout = await temporalCli([
      'workflow',
      'execute',
      '--type',
      fullSystemRestore.name,
      '--task-queue',
      taskQueue,
      '--workflow-id',
      workflowId,
      '--input',
      '{}',
      '--output',
      'json',
    ]);
    const { status, result } = JSON.parse(stdout) as { status: string; result: FullSystemRestoreResult };
    expect(status).toBe('COMPLETED');
    expect(result.outcome).toBe('restored');
    for (const service of services) {
      const latest = (await backups(service))[0];
      expect(result.services.find((s) => s.service === service)!.backup?.file).toBe(latest.file);
      expect(sortCounts(await liveRowCounts(service))).toEqual(
        sortCounts(await manifestRowCounts(service, latest.file)),
      );
      expect(await healthStatuses(service)).toEqual([200, 200]);
    }
    await expectAppsStoppedAfterEveryRestore((await client()).workflow.getHandle(workflowId), result);
    for (const service of services) await dropKeptDatabases(service);
  }, 300_000);
});
