import { describe, expect, it } from 'vitest';
import { restoreDatabase } from '../../workflows';
import { approveSignal, progressQuery } from '../../workflows/definitions';
import { killContainer, startContainer } from '../../shared/node/docker';
import { useWorkerProcess } from '../support/e2e-worker';
import { healthStatuses } from '../support/health';
import {
  backups,
  databasesOf,
  dropKeptDatabases,
  liveRowCounts,
  manifestRowCounts,
  sandboxService,
  sortCounts,
} from '../support/sandbox-db';
import { testWorkflowId, useTemporalClient } from '../support/temporal-client';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * The database server goes down right as the swap starts and comes back 20 s later: the swap waits for it
 * (its steps retry until done), then finishes; the live database is the backup's, whole.
 */
describe('a swap while PostgreSQL restarts', () => {
  const { taskQueue } = useWorkerProcess('swap-restart');
  const client = useTemporalClient();

  it('waits for the server and finishes the swap: live is the backup, apps healthy, nothing left over', async () => {
    const { databaseContainer } = sandboxService('argus');
    const file = (await backups('argus'))[0].file;
    const handle = await (
      await client()
    ).workflow.start(restoreDatabase, {
      taskQueue,
      workflowId: testWorkflowId('e2e-swap-restart'),
      args: [{ service: 'argus', backup: file, requireApproval: true }],
    });
    try {
      for (let step = ''; step !== 'awaiting-approval'; await sleep(500)) {
        step = (await handle.query(progressQuery)).step;
        expect(step).not.toMatch(/failed|cancelled/);
      }
      await killContainer(databaseContainer);
      await handle.signal(approveSignal, { by: 'e2e' });
      await sleep(20_000);
    } finally {
      await startContainer(databaseContainer).catch(() => undefined);
    }
    const result = await handle.result();

    expect(result.outcome).toBe('restored');
    expect(sortCounts(await liveRowCounts('argus'))).toEqual(sortCounts(await manifestRowCounts('argus', file)));
    expect(await healthStatuses('argus')).toEqual([200, 200]);
    const databases = await databasesOf('argus');
    expect(databases).toContain(result.databases.preRestore);
    expect(databases).not.toContain(result.databases.side);
    await dropKeptDatabases('argus');
  }, 420_000);
});
