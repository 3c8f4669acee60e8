import type { WorkflowHandle } from '@temporalio/client';
import { describe, expect, it } from 'vitest';
import { waitHealthy } from '../../sandbox/containers';
import { killContainer, startContainer } from '../../shared/node/docker';
import type { RestoreDatabaseResult } from '../../shared/workflow-types';
import { ensureBigArgusBackup } from '../support/big-argus-backup';
import { useWorkerProcess } from '../support/e2e-worker';
import { healthStatuses } from '../support/health';
import { waitForPendingActivity } from '../support/pending-activity';
import {
  backups,
  dropKeptDatabases,
  liveRowCounts,
  manifestRowCounts,
  sandboxService,
  sortCounts,
} from '../support/sandbox-db';
import { testWorkflowId, useTemporalClient } from '../support/temporal-client';
import { RESTORE_BACKUP_ACTIVITY } from '../../shared/activity-contract';
import { restoreDatabase } from '../../workflows';

const argus = sandboxService('argus');

/** The attempt that finished each activity of a type, from the workflow's history. */
async function finishingAttempts(handle: WorkflowHandle, activityType: string): Promise<number[]> {
  const events = (await handle.fetchHistory()).events ?? [];
  const scheduled = new Set(
    events
      .filter((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === activityType)
      .map((e) => String(e.eventId)),
  );
  return events
    .filter((e) => scheduled.has(String(e.activityTaskStartedEventAttributes?.scheduledEventId)))
    .map((e) => e.activityTaskStartedEventAttributes?.attempt ?? 0);
}

/** Whatever happened, the sandbox's argus database runs and is healthy again for the next test. */
async function ensureArgusDatabaseUp(): Promise<void> {
  await startContainer(argus.databaseContainer);
  await waitHealthy(argus.databaseContainer, 120_000);
}

describe('the argus database container killed in the middle of a restore of argus', () => {
  const client = useTemporalClient();
  const { taskQueue, worker } = useWorkerProcess('dbkill');

  it('fails the restore attempt, not the worker: the same worker process retries and restores', async () => {
    const bigBackup = await ensureBigArgusBackup();
    const workerPid = worker().child.pid;
    const handle = await (
      await client()
    ).workflow.start(restoreDatabase, {
      taskQueue,
      workflowId: testWorkflowId('e2e-dbkill'),
      args: [{ service: 'argus', backup: bigBackup }],
    });
    try {
      await waitForPendingActivity(handle, RESTORE_BACKUP_ACTIVITY);
      // A few seconds into the restore: psql in the container is streaming COPY data.
      await new Promise((resolve) => setTimeout(resolve, 4_000));
      await killContainer(argus.databaseContainer);
      await new Promise((resolve) => setTimeout(resolve, 10_000));
      await ensureArgusDatabaseUp();

      const result = (await handle.result()) as RestoreDatabaseResult;
      expect(result.outcome).toBe('restored');
      expect(result.backup?.file).toBe(bigBackup);
      // The kill cost the restore an attempt, which Temporal retried on the same, living worker.
      expect(Math.max(...(await finishingAttempts(handle, RESTORE_BACKUP_ACTIVITY)))).toBeGreaterThan(1);
      expect(worker().child.exitCode).toBeNull();
      expect(worker().child.signalCode).toBeNull();
      expect(worker().child.pid).toBe(workerPid);
      expect(worker().output()).not.toMatch(/"level":"FATAL"|worker failed to start/);
      expect(sortCounts(await liveRowCounts('argus'))).toEqual(sortCounts(await manifestRowCounts('argus', bigBackup)));
      expect(await healthStatuses('argus')).toEqual([200, 200]);

      // Put the sandbox back on its latest backup for whatever runs next.
      const back = (await (
        await client()
      ).workflow.execute(restoreDatabase, {
        taskQueue,
        workflowId: testWorkflowId('e2e-dbkill-back'),
        args: [{ service: 'argus', backup: (await backups('argus'))[0].file }],
      })) as RestoreDatabaseResult;
      expect(back.outcome).toBe('restored');
    } finally {
      await ensureArgusDatabaseUp();
      // A failed assertion must not leave the restore holding the argus lock for the next test.
      if ((await handle.describe()).status.name === 'RUNNING') await handle.terminate('test cleanup');
      await dropKeptDatabases('argus');
    }
  }, 900_000);
});
