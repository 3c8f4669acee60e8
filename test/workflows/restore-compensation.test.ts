import { describe, expect, it } from 'vitest';
import type { RestoreDatabaseInput, RestoreDatabaseResult } from '../../shared/workflow-types';
import { restoreDatabase } from '../../workflows';
import { uniqueId } from './support/outcomes';
import { useWorkflowTestbed } from './support/workflow-env';

/** A swap-back that fails: retried by the workflow in rounds, then handed to a human with the exact state. */
describe('restoreDatabase compensation under a lasting fault', () => {
  const bed = useWorkflowTestbed('restore-compensation');

  async function run(input: RestoreDatabaseInput): Promise<RestoreDatabaseResult> {
    const handle = await bed.env.client.workflow.start(restoreDatabase, {
      taskQueue: bed.taskQueue,
      workflowId: uniqueId(`restore-${input.service}`),
      args: [input],
    });
    return handle.result();
  }

  it('tries a failed swap-back again in a later round, and finishes it', async () => {
    const world = bed.reset();
    world.unhealthyBackups.add('argus_20261124_020000.sql.gz');
    // Fails fast (non-retryable) twice: only the workflow's own rounds get past it.
    world.swapBackFailures = { remaining: 2, nonRetryable: true };
    const result = await run({ service: 'argus' });

    expect(result.outcome).toBe('rolled-back');
    expect(world.called('swapBackDatabaseNames')).toHaveLength(3);
    expect(world.live('argus')?.origin).toBe('original');
    expect(result.manualRepair).toBeUndefined();
  });
});
