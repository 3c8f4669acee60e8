import { describe, expect, it } from 'vitest';
import type { RestoreDatabaseResult } from '../../shared/workflow-types';
import { ensureBigHermesBackup } from '../support/big-backup';
import { healthStatuses } from '../support/health';
import { waitForPendingActivity } from '../support/pending-activity';
import {
  backups,
  databasesOf,
  dropKeptDatabases,
  liveRowCounts,
  manifestRowCounts,
  sortCounts,
} from '../support/sandbox-db';
import { testWorkflowId, useTemporalClient } from '../support/temporal-client';
import { startWorkerProcess } from '../support/worker-process';

describe('a worker killed with SIGKILL in the middle of a restore', () => {
  const client = useTemporalClient();

  it('is replaced by a new worker that finishes the restore from a clean side database', async () => {
    const bigBackup = await ensureBigHermesBackup();
    const taskQueue = `opareta-dr-test-crash-${process.pid}`;
    const env = { OPARETA_TASK_QUEUE: taskQueue, OPARETA_METRICS_PORT: String(18000 + (process.pid % 1000)) };

    const first = await startWorkerProcess(env);
    const handle = await (
      await client()
    ).workflow.start('restoreDatabase', {
      taskQueue,
      workflowId: testWorkflowId('e2e-crash'),
      args: [{ service: 'hermes', backup: bigBackup }],
    });
    await waitForPendingActivity(handle, 'restoreBackup');
    await first.stop('SIGKILL');
    expect(first.child.signalCode).toBe('SIGKILL');

    const second = await startWorkerProcess(env);
    try {
      const result = (await handle.result()) as RestoreDatabaseResult;
      expect(result.outcome).toBe('restored');
      expect(result.backup?.file).toBe(bigBackup);
      expect(sortCounts(await liveRowCounts('hermes'))).toEqual(
        sortCounts(await manifestRowCounts('hermes', bigBackup)),
      );
      expect(await healthStatuses('hermes')).toEqual([200, 200]);
      expect(
        (await databasesOf('hermes')).filter((d) => d.includes('_restore_') && !d.includes('pre_restore')),
      ).toEqual([]);
    } finally {
      // Put the sandbox back on its latest backup for whatever runs next.
      const latest = (await backups('hermes'))[0].file;
      const back = await (
        await client()
      ).workflow.execute('restoreDatabase', {
        taskQueue,
        workflowId: testWorkflowId('e2e-crash-back'),
        args: [{ service: 'hermes', backup: latest }],
      });
      expect((back as RestoreDatabaseResult).outcome).toBe('restored');
      await second.stop();
      await dropKeptDatabases('hermes');
    }
  }, 600_000);
});
