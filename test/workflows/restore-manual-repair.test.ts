import { describe, expect, it } from 'vitest';
import type { RestoreDatabaseInput, RestoreDatabaseResult } from '../../shared/workflow-types';
import { restoreDatabase } from '../../workflows';
import { uniqueId } from './support/outcomes';
import { useWorkflowTestbed } from './support/workflow-env';

/** A swap-back that never finishes: handed to a human with the exact state and commands. */
// Its own file and test server: after another swap-back test in the same server, time skipping did not
// resume for this one on a loaded machine.
describe('restoreDatabase compensation that cannot finish', () => {
  const bed = useWorkflowTestbed('restore-manual-repair');

  async function run(input: RestoreDatabaseInput): Promise<RestoreDatabaseResult> {
    const handle = await bed.env.client.workflow.start(restoreDatabase, {
      taskQueue: bed.taskQueue,
      workflowId: uniqueId(`restore-${input.service}`),
      args: [input],
    });
    return handle.result();
  }

  it('says what to finish by hand when the swap-back cannot finish', async () => {
    const world = bed.reset();
    world.unhealthyBackups.add('argus_20261124_020000.sql.gz');
    // Each attempt fails for good, so only the workflow's own rounds are left (activity retries within the
    // swap's time bound are Temporal's and shown against a real server in test/e2e/swap-under-restart).
    world.swapBackFailures = { remaining: Number.MAX_SAFE_INTEGER, nonRetryable: true };
    const result = await run({ service: 'argus' });

    expect(result.outcome).toBe('needs-manual-repair');
    expect(result.compensations).toContain('swap back argus (failed)');
    expect(result.detail).toContain('NOT undone: swap back argus: connect ECONNREFUSED');
    expect(result.detail).toContain(`databases present: argus_db, ${result.databases.preRestore}`);
    const steps = (result.manualRepair ?? []).join('\n');
    expect(steps).toContain(
      `ALTER DATABASE "argus_db" RENAME TO "${result.databases.failedRestore}"; ` +
        `ALTER DATABASE "${result.databases.preRestore}" RENAME TO "argus_db"`,
    );
    expect(steps).toContain('docker start opareta-argus-1 opareta-argus-2');
    const kinds = world.called('notify').map((n) => (n as { kind: string }).kind);
    expect(kinds).toContain('manual-repair-needed');
    // Nothing that was ever live is dropped, even now.
    expect(world.databaseNames('argus')).toEqual(['argus_db', result.databases.preRestore]);
    expect(world.called('dropDatabase')).toEqual([{ service: 'argus', database: result.databases.side }]);
  });
});
