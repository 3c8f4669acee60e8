import { describe, expect, it } from 'vitest';
import type { RestoreDatabaseResult } from '../../shared/workflow-types';
import { ensureBigHermesBackup } from '../support/big-backup';
import { healthStatuses } from '../support/health';
import { waitForLiveQueryProgress, waitForPendingActivity } from '../support/pending-activity';
import {
  backups,
  databasesOf,
  dropKeptDatabases,
  liveRowCounts,
  manifestRowCounts,
  sortCounts,
} from '../support/sandbox-db';
import { testWorkflowId, useTemporalClient } from '../support/temporal-client';
import { startWorkerProcess, type WorkerProcess } from '../support/worker-process';
import { RESTORE_BACKUP_ACTIVITY, type RestoreResult } from '../../shared/activity-contract';
import { completedActivityResult } from '../support/activity-history';
import { restoreDatabase } from '../../workflows';

describe('a worker killed with SIGKILL in the middle of a restore', () => {
  const client = useTemporalClient();

  it('is replaced by a new worker whose retry resumes the restore after the units the first one committed', async () => {
    const bigBackup = await ensureBigHermesBackup();
    const taskQueue = `opareta-dr-test-crash-${process.pid}`;
    const env = { OPARETA_TASK_QUEUE: taskQueue, OPARETA_METRICS_PORT: String(18000 + (process.pid % 1000)) };
    const workers: WorkerProcess[] = [await startWorkerProcess(env)];
    const handle = await (
      await client()
    ).workflow.start(restoreDatabase, {
      taskQueue,
      workflowId: testWorkflowId('e2e-crash'),
      args: [{ service: 'hermes', backup: bigBackup }],
    });
    try {
      await waitForPendingActivity(handle, RESTORE_BACKUP_ACTIVITY);
      // The workflow's own progress query shows the restore moving while it runs (the activity signals it).
      const midway = await waitForLiveQueryProgress(handle, 'hermes', 120_000, 50);
      expect(midway.bytesDone).toBeGreaterThan(0);
      expect(midway.bytesTotal).toBeGreaterThanOrEqual(midway.bytesDone);
      await workers[0].stop('SIGKILL');
      expect(workers[0].child.signalCode).toBe('SIGKILL');

      workers.push(await startWorkerProcess(env));
      const result = (await handle.result()) as RestoreDatabaseResult;
      expect(result.outcome).toBe('restored');
      expect(result.backup?.file).toBe(bigBackup);
      // The retry read the side database's ledger and loaded only what the killed worker had not committed.
      const resumed = await completedActivityResult<RestoreResult>(handle, RESTORE_BACKUP_ACTIVITY);
      expect(resumed.resumedFrom).toMatch(/rows #\d+$|^schema$/);
      expect(resumed.unitsSkipped).toBeGreaterThan(0);
      expect(resumed.jobs).toBeGreaterThanOrEqual(1);
      expect(sortCounts(await liveRowCounts('hermes'))).toEqual(
        sortCounts(await manifestRowCounts('hermes', bigBackup)),
      );
      expect(await healthStatuses('hermes')).toEqual([200, 200]);
      expect(await databasesOf('hermes')).not.toContain(result.databases.side);

      // Put the sandbox back on its latest backup for whatever runs next.
      const back = (await (
        await client()
      ).workflow.execute(restoreDatabase, {
        taskQueue,
        workflowId: testWorkflowId('e2e-crash-back'),
        args: [{ service: 'hermes', backup: (await backups('hermes'))[0].file }],
      })) as RestoreDatabaseResult;
      expect(back.outcome).toBe('restored');
    } finally {
      // A failed assertion must not leave the restore holding the hermes lock for the next test.
      if ((await handle.describe()).status.name === 'RUNNING') await handle.terminate('test cleanup');
      for (const worker of workers) await worker.stop();
      await dropKeptDatabases('hermes');
    }
  }, 600_000);
});
