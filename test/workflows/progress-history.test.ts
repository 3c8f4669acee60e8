import { Context } from '@temporalio/activity';
import type { WorkflowHandle } from '@temporalio/client';
import { describe, expect, it } from 'vitest';
import { createProgressSignaller } from '../../activities/progress-signal';
import { ProgressTracker } from '../../activities/restore-progress';
import { RESTORE_PROGRESS_SIGNAL, type RestoreUnitsProgress } from '../../shared/activity-contract';
import { restoreDatabase } from '../../workflows';
import { progressQuery } from '../../workflows/definitions';
import { uniqueId } from './support/outcomes';
import { useWorkflowTestbed } from './support/workflow-env';

const HEARTBEAT_MS = 2_000; // activities/restore.ts beats (and may signal) every 2 s
const DUMP_BYTES = 10_000; // what the fake restore reports as read when it returns

/**
 * The real signaller and progress tracker inside the restore activity, driven by a fake clock: a restore of
 * `minutes` simulated minutes beats every 2 s of simulated time, moving through the dump at a steady rate.
 */
function simulateRestore(minutes: number) {
  return async (): Promise<void> => {
    let now = 0;
    const tracker = new ProgressTracker(DUMP_BYTES, () => now);
    const signal = createProgressSignaller(Context.current());
    const beats = (minutes * 60_000) / HEARTBEAT_MS;
    for (let beat = 1; beat <= beats; beat++) {
      now += HEARTBEAT_MS;
      tracker.update(Math.round((DUMP_BYTES * beat) / beats));
      signal({ service: 'argus', file: 'argus.sql.gz', ...tracker.snapshot() });
      // Every beat's signal is sent before the next one: the worst case for the number of signals.
      await signal.settled();
    }
  };
}

async function signalEvents(handle: WorkflowHandle): Promise<{ signals: number; events: number }> {
  const history = await handle.fetchHistory();
  const events = history.events ?? [];
  const signals = events.filter(
    (e) => e.workflowExecutionSignaledEventAttributes?.signalName === RESTORE_PROGRESS_SIGNAL,
  ).length;
  return { signals, events: events.length };
}

describe('restore progress in the workflow history', () => {
  const bed = useWorkflowTestbed('progress-history');

  async function restoreFor(minutes: number) {
    const world = bed.reset();
    world.duringRestore = simulateRestore(minutes);
    const handle = await bed.env.client.workflow.start(restoreDatabase, {
      taskQueue: bed.taskQueue,
      workflowId: uniqueId('restore-progress'),
      args: [{ service: 'argus' }],
    });
    const result = await handle.result();
    expect(result.outcome).toBe('restored');
    return { handle, ...(await signalEvents(handle)) };
  }

  it('costs a fixed number of signals per restore, whether it runs 10 minutes or 2 hours', async () => {
    const short = await restoreFor(10);
    const long = await restoreFor(120);

    // First bytes, every 10% and the end: 11 at most, however long the restore (the old 5 s interval: 1440).
    expect(long.signals).toBeGreaterThanOrEqual(3);
    expect(long.signals).toBeLessThanOrEqual(12);
    expect(long.signals).toBe(short.signals);
    // The other events do not grow with the restore's length either. How the server batches a signal into a
    // workflow task depends on the machine's load: each signal may bring at most one task of its own (3 events).
    expect(long.events).toBeLessThanOrEqual(short.events + 3 * long.signals);
    expect(long.events).toBeLessThan(200);

    const progress = await long.handle.query(progressQuery);
    expect(progress.services.argus).toMatchObject({ bytesDone: 10_000, percent: 100, etaSeconds: 0 });
  }, 120_000);

  it("shows the units of a parallel restore's latest progress update while it runs, none once it returned", async () => {
    const halfway: RestoreUnitsProgress = {
      jobs: 2,
      busyConnections: 2,
      unitsDone: 4,
      unitsSkipped: 1,
      resumedFrom: 'public.events rows #1',
      inFlight: [
        { label: 'public.events rows #3', connection: 1, seconds: 4.5, bytesSent: 2_000, percent: 41, etaSeconds: 6 },
        { label: 'public.users', connection: 2, seconds: 1, bytesSent: 500 },
      ],
    };
    const later: RestoreUnitsProgress = { ...halfway, unitsDone: 7, inFlight: [halfway.inFlight[0]] };
    const workflowId = uniqueId('restore-units');
    const seen: (RestoreUnitsProgress | undefined)[] = [];
    const world = bed.reset();
    world.duringRestore = async () => {
      const signal = createProgressSignaller(Context.current());
      const update = { service: 'argus', file: 'argus.sql.gz', bytesTotal: DUMP_BYTES, bytesPerSecond: 100 };
      const query = async () =>
        seen.push((await bed.env.client.workflow.getHandle(workflowId).query(progressQuery)).services.argus?.units);
      signal({ ...update, bytesDone: DUMP_BYTES / 2, percent: 50, etaSeconds: 50, units: halfway });
      await signal.settled();
      await query();
      signal({ ...update, bytesDone: DUMP_BYTES, percent: 100, etaSeconds: 0, units: later });
      await signal.settled();
      await query();
    };
    const handle = await bed.env.client.workflow.start(restoreDatabase, {
      taskQueue: bed.taskQueue,
      workflowId,
      args: [{ service: 'argus' }],
    });
    expect((await handle.result()).outcome).toBe('restored');
    expect(seen).toEqual([halfway, later]);
    expect((await handle.query(progressQuery)).services.argus.units).toBeUndefined();
  }, 120_000);
});
