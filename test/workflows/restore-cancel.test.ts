import { describe, expect, it } from 'vitest';
import { RESTORE_BACKUP_ACTIVITY } from '../../shared/activity-contract';
import type { RestoreDatabaseInput } from '../../shared/workflow-types';
import { restoreDatabase } from '../../workflows';
import type { FakeWorld } from './support/fake-world';
import { failureOf, uniqueId, wasCancelled } from './support/outcomes';
import { useWorkflowTestbed, waitForStep } from './support/workflow-env';

const FAILED_RESTORE = /^argus_db_failed_restore_\d{14}_[0-9a-f]{6}$/;
const callNames = (world: FakeWorld) => world.calls.map((c) => c.name);

describe('restoreDatabase cancelled at each step', () => {
  const bed = useWorkflowTestbed('restore-cancel');

  function start(input: RestoreDatabaseInput) {
    return bed.env.client.workflow.start(restoreDatabase, {
      taskQueue: bed.taskQueue,
      workflowId: uniqueId(`restore-${input.service}`),
      args: [input],
    });
  }

  /** `kept`: the restored database a swap-back keeps beside the live one. */
  function expectLiveUntouched(world: FakeWorld, kept: RegExp[] = []): void {
    expect(world.live('argus')?.origin).toBe('original');
    expect(world.databaseNames('argus')).toEqual(['argus_db', ...kept.map((k) => expect.stringMatching(k))]);
    expect(world.service('argus').appsRunning).toBe(true);
  }

  /** The lock is released after a cancel: the next restore of the service runs. */
  async function expectServiceUnlocked(): Promise<void> {
    bed.reset();
    expect((await (await start({ service: 'argus' })).result()).outcome).toBe('restored');
  }

  it('before the restore (while planning): nothing to undo, nothing touched', async () => {
    const world = bed.reset();
    const gate = world.gate('checkDiskRoom');
    const handle = await start({ service: 'argus' });
    await gate.entered;
    await handle.cancel();

    expect(wasCancelled(await failureOf(handle))).toBe(true);
    expect(world.called(RESTORE_BACKUP_ACTIVITY)).toEqual([]);
    expect(world.called('dropDatabase')).toEqual([]);
    expectLiveUntouched(world);
    await expectServiceUnlocked();
  });

  it('in-place mode while verifying the backup: the apps not stopped yet, nothing touched', async () => {
    const world = bed.reset();
    const gate = world.gate('verifyBackup');
    const handle = await start({ service: 'argus', mode: 'in-place' });
    await gate.entered;
    await handle.cancel();

    expect(wasCancelled(await failureOf(handle))).toBe(true);
    expect(world.called(RESTORE_BACKUP_ACTIVITY)).toEqual([]);
    expect(world.called('stopApps')).toEqual([]);
    expectLiveUntouched(world);
    await expectServiceUnlocked();
  });

  it('during the restore: waits for the restore to stop, then drops the side database', async () => {
    const world = bed.reset();
    const gate = world.gate(RESTORE_BACKUP_ACTIVITY);
    const handle = await start({ service: 'argus' });
    await gate.entered;
    await handle.cancel();

    expect(wasCancelled(await failureOf(handle))).toBe(true);
    expect(gate.wasCancelled).toBe(true);
    const side = (world.called(RESTORE_BACKUP_ACTIVITY)[0] as { targetDatabase: string }).targetDatabase;
    expect(world.called('dropDatabase')).toEqual([{ service: 'argus', database: side }]);
    expect(world.called('stopApps')).toEqual([]);
    expectLiveUntouched(world);
    await expectServiceUnlocked();
  });

  it('while waiting for approval: drops the side database', async () => {
    const world = bed.reset();
    const handle = await start({ service: 'argus', requireApproval: true });
    await waitForStep(handle, 'awaiting-approval');
    expect(world.databaseNames('argus')).toHaveLength(2);
    await handle.cancel();

    expect(wasCancelled(await failureOf(handle))).toBe(true);
    expect(world.called('stopApps')).toEqual([]);
    expectLiveUntouched(world);
  });

  it('during the swap: finishes the swap, then swaps back, never leaving it half done', async () => {
    const world = bed.reset();
    // Hold the swap (both renames, one transaction) while the cancel arrives.
    const gate = world.gate('swapDatabaseNames');
    const handle = await start({ service: 'argus' });
    await gate.entered;
    await handle.cancel();
    gate.release();

    expect(wasCancelled(await failureOf(handle))).toBe(true);
    expect(gate.wasCancelled).toBe(false);
    // The swap finished, then the swap-back undid it.
    expect(callNames(world).filter((c) => c.startsWith('swap'))).toEqual([
      'swapDatabaseNames',
      'swapBackDatabaseNames',
    ]);
    expectLiveUntouched(world, [FAILED_RESTORE]);
    await expectServiceUnlocked();
  });

  it('during the health check after the swap: swaps back', async () => {
    const world = bed.reset();
    const gate = world.gate('waitForHealth');
    const handle = await start({ service: 'argus' });
    await gate.entered;
    await handle.cancel();

    expect(wasCancelled(await failureOf(handle))).toBe(true);
    expectLiveUntouched(world, [FAILED_RESTORE]);
  });

  it('in-place mode during the restore: restarts the apps it stopped', async () => {
    const world = bed.reset();
    const gate = world.gate(RESTORE_BACKUP_ACTIVITY);
    const handle = await start({ service: 'argus', mode: 'in-place' });
    await gate.entered;
    expect(world.service('argus').appsRunning).toBe(false);
    await handle.cancel();

    expect(wasCancelled(await failureOf(handle))).toBe(true);
    expectLiveUntouched(world);
  });
});
