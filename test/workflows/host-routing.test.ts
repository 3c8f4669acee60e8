import type { WorkflowHandle } from '@temporalio/client';
import { Worker } from '@temporalio/worker';
import { afterEach, describe, expect, it } from 'vitest';
import { RESTORE_BACKUP_ACTIVITY, RUN_ANYWHERE_ACTIVITIES } from '../../shared/activity-contract';
import { ErrorType } from '../../shared/errors';
import { progressQuery } from '../../workflows/definitions';
import { fullSystemRestore, restoreDatabase } from '../../workflows';
import { activityExecutions } from '../support/activity-history';
import { applicationFailure, failureOf, uniqueId } from './support/outcomes';
import { delegateTo } from './support/test-server';
import { useWorkflowTestbed } from './support/workflow-env';

async function waitForWaitingFor(handle: WorkflowHandle, service: string): Promise<string> {
  for (let attempt = 0; attempt < 1200; attempt++) {
    const waiting = await handle
      .query(progressQuery)
      .then((p) => p.services[service]?.waitingFor)
      .catch(() => undefined);
    if (waiting) return waiting;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`${service} never reported waiting for a host's worker`);
}

describe('host routing: each service’s steps run on its host’s queue', () => {
  const bed = useWorkflowTestbed('host-routing');
  const hostQueue = `${bed.taskQueue}@db-b`;
  let hostWorker: { worker: Worker; running: Promise<void> } | undefined;

  async function startHostWorker(): Promise<void> {
    const worker = await Worker.create({
      connection: bed.env.nativeConnection,
      taskQueue: hostQueue,
      activities: delegateTo(() => bed.world),
    });
    hostWorker = { worker, running: worker.run() };
  }

  afterEach(async () => {
    hostWorker?.worker.shutdown();
    await hostWorker?.running;
    hostWorker = undefined;
  });

  it('sends hermes’s host-bound steps to opareta-dr@db-b and everything else to the workflow’s queue', async () => {
    const world = bed.reset();
    world.hosts = { hermes: 'db-b' };
    await startHostWorker();
    const handle = await bed.env.client.workflow.start(fullSystemRestore, {
      taskQueue: bed.taskQueue,
      workflowId: uniqueId('hosts-full'),
      args: [{}],
    });
    const result = await handle.result();

    expect(result.outcome).toBe('restored');
    const activities = await activityExecutions(handle);
    const anywhere = new Set<string>(RUN_ANYWHERE_ACTIVITIES);
    const hermesOnHost = activities.filter((a) => a.service === 'hermes' && !anywhere.has(a.name));
    expect(hermesOnHost.map((a) => a.name)).toEqual(
      expect.arrayContaining([RESTORE_BACKUP_ACTIVITY, 'swapDatabaseNames']),
    );
    expect(new Set(hermesOnHost.map((a) => a.taskQueue))).toEqual(new Set([hostQueue]));
    const elsewhere = activities.filter((a) => !hermesOnHost.includes(a));
    expect(elsewhere.some((a) => a.service === 'argus' && a.name === RESTORE_BACKUP_ACTIVITY)).toBe(true);
    expect(new Set(elsewhere.map((a) => a.taskQueue))).toEqual(new Set([bed.taskQueue]));
    expect(world.live('hermes')?.origin).toBe(world.service('hermes').backups[0].file);
  });

  it('waits for a worker on the host, says so in the progress query, and finishes once one polls', async () => {
    const world = bed.reset();
    world.hosts = { hermes: 'db-b' };
    const handle = await bed.env.client.workflow.start(fullSystemRestore, {
      taskQueue: bed.taskQueue,
      workflowId: uniqueId('hosts-wait'),
      args: [{}],
    });

    expect(await waitForWaitingFor(handle, 'hermes')).toBe('a worker on host db-b');
    // Nothing of hermes ran and nothing was swapped while its host had no worker.
    const ranForHermes = world.calls.filter((c) => (c.input as { service?: string })?.service === 'hermes');
    expect(ranForHermes.map((c) => c.name)).not.toContain('snapshotDatabase');
    expect(world.live('argus')?.origin).toBe('original');

    await startHostWorker();
    const result = await handle.result();
    expect(result.outcome).toBe('restored');
    expect((await handle.query(progressQuery)).services.hermes?.waitingFor).toBeUndefined();
  });

  it('fails the step with HostWorkerMissing, naming the host, when no worker comes within hostWaitMinutes', async () => {
    const world = bed.reset();
    world.hosts = { hermes: 'db-b' };
    world.hostWaitMinutes = 0.25;
    const handle = await bed.env.client.workflow.start(restoreDatabase, {
      taskQueue: bed.taskQueue,
      workflowId: uniqueId('hosts-missing'),
      args: [{ service: 'hermes' }],
    });

    const failure = applicationFailure(await failureOf(handle));
    expect(failure?.type).toBe(ErrorType.HostWorkerMissing);
    expect(failure?.nonRetryable).toBe(true);
    expect(failure?.message).toContain('no worker on host db-b');
    expect(world.databaseNames('hermes')).toEqual(['hermes_db']);
  }, 180_000);
});
