import { Client, WorkflowUpdateFailedError, type WorkflowHandle } from '@temporalio/client';
import { describe, expect, it } from 'vitest';
import { RESTORE_BACKUP_ACTIVITY } from '../../shared/activity-contract';
import type { ApprovalState, FullSystemRestoreInput, RestoreDatabaseInput } from '../../shared/workflow-types';
import { fullSystemRestore, restoreDatabase } from '../../workflows';
import { approveSignal, approveUpdate, rejectUpdate } from '../../workflows/definitions';
import { applicationFailure, failureOf, uniqueId } from './support/outcomes';
import { useWorkflowTestbed, waitForStep } from './support/workflow-env';

const PRODUCTION_RULE = { required: true, distinctApprovers: true };

describe('approval decisions', () => {
  const bed = useWorkflowTestbed('approval');
  const clients = new Map<string, Client>();

  /** A client that sends requests under `identity`, as the CLI sends `$USER@host via opareta-dr`. */
  function as(identity: string): Client {
    if (!clients.has(identity)) clients.set(identity, new Client({ connection: bed.env.connection, identity }));
    return clients.get(identity)!;
  }

  function startRestore(identity: string, input: RestoreDatabaseInput) {
    return as(identity).workflow.start(restoreDatabase, {
      taskQueue: bed.taskQueue,
      workflowId: uniqueId(`approval-${input.service}`),
      args: [input],
    });
  }

  function startFullRestore(identity: string, input: FullSystemRestoreInput) {
    return as(identity).workflow.start(fullSystemRestore, {
      taskQueue: bed.taskQueue,
      workflowId: uniqueId('approval-full'),
      args: [input],
    });
  }

  function approve(identity: string, handle: WorkflowHandle, by?: string): Promise<ApprovalState> {
    return as(identity)
      .workflow.getHandle(handle.workflowId)
      .executeUpdate(approveUpdate, { args: [{ by }] });
  }

  async function refusalOf(request: Promise<unknown>): Promise<string> {
    const err = await request.then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(WorkflowUpdateFailedError);
    return ((err as WorkflowUpdateFailedError).cause as Error).message;
  }

  /** Waits (by polling the history, not by time) until the workflow has read the identity of `count` requests. */
  async function identitiesRead(handle: WorkflowHandle, count: number): Promise<void> {
    for (let i = 0; i < 400; i++) {
      const events = (await handle.fetchHistory()).events ?? [];
      const scheduled = new Set(
        events
          .filter((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'approvalIdentities')
          .map((e) => String(e.eventId)),
      );
      const completedAt = events
        .map((e, index) => ({ e, index }))
        .filter(({ e }) => scheduled.has(String(e.activityTaskCompletedEventAttributes?.scheduledEventId ?? '')));
      const last = completedAt.at(-1)?.index ?? -1;
      const handledAfter = events.slice(last + 1).some((e) => e.workflowTaskCompletedEventAttributes);
      if (completedAt.length >= count && handledAfter) return;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    throw new Error(`the workflow never read the identity of ${count} request(s)`);
  }

  it('refuses an approve sent before the restore is verified, and does not remember it', async () => {
    const world = bed.reset();
    const restoring = world.gate(RESTORE_BACKUP_ACTIVITY);
    const handle = await startRestore('alice@ops', { service: 'argus', requireApproval: true });
    await restoring.entered;

    const early = await refusalOf(approve('bob@ops', handle));
    expect(early).toContain('nothing to approve yet: the restore is in step "restoring"');
    await handle.signal(approveSignal, { by: 'early signal' });
    restoring.release();
    await waitForStep(handle, 'awaiting-approval');

    // Had either early approve been kept, the swap would have started and this reject would come too late.
    const rejected = await as('carol@ops')
      .workflow.getHandle(handle.workflowId)
      .executeUpdate(rejectUpdate, { args: [{ reason: 'wrong backup' }] });
    expect(rejected.status).toBe('rejected');
    const result = await handle.result();
    expect(result.outcome).toBe('rejected');
    expect(result.approval).toMatchObject({ decision: 'rejected', identity: 'carol@ops', approvals: [] });
    expect(world.called('stopApps')).toEqual([]);
    expect(world.live('argus')?.origin).toBe('original');
    // A refused update leaves no trace in the history.
    const events = (await handle.fetchHistory()).events ?? [];
    expect(events.filter((e) => e.workflowExecutionUpdateAcceptedEventAttributes)).toHaveLength(1);
  });

  it('refuses an approval once the restore is decided, and one to a restore that never asks', async () => {
    const world = bed.reset();
    const handle = await startRestore('alice@ops', { service: 'argus', requireApproval: true });
    await waitForStep(handle, 'awaiting-approval');
    expect((await approve('bob@ops', handle)).status).toBe('approved');
    expect(await refusalOf(approve('carol@ops', handle))).toContain('too late: approved by bob@ops');
    expect((await handle.result()).outcome).toBe('restored');

    const restoring = world.gate(RESTORE_BACKUP_ACTIVITY);
    const silent = await startRestore('alice@ops', { service: 'hermes' });
    await restoring.entered;
    const refusal = await refusalOf(approve('bob@ops', silent));
    restoring.release();
    expect(refusal).toContain('this restore does not wait for approval');
    expect((await silent.result()).outcome).toBe('restored');
  });

  it.each([1e300, 86_401, '25h'])('refuses approvalTimeout %s: at most 24 h', async (approvalTimeout) => {
    const world = bed.reset();
    const failure = await failureOf(await startRestore('alice@ops', { service: 'argus', approvalTimeout }));
    const cause = applicationFailure(failure);
    expect(cause?.type).toBe('InvalidInput');
    expect(cause?.message).toContain('approvalTimeout: must be at most 24h (86400 s)');
    expect(world.calls).toEqual([]);
  });

  it('in production the starter cannot approve their own restore, by update or by signal', async () => {
    const world = bed.reset();
    world.approvalRule = PRODUCTION_RULE;
    // No requireApproval in the input: the production rule asks for one.
    const handle = await startRestore('alice@ops', { service: 'argus' });
    await waitForStep(handle, 'awaiting-approval');

    const own = await approve('alice@ops', handle, 'bob');
    expect(own).toMatchObject({ status: 'refused', approvals: [], approvalsNeeded: 1 });
    expect(own.detail).toBe('alice@ops started this restore and cannot approve it: someone else must');
    await as('alice@ops').workflow.getHandle(handle.workflowId).signal(approveSignal, { by: 'bob' });
    await identitiesRead(handle, 2);

    const other = await approve('bob@ops', handle, 'Bob, on call');
    expect(other.status).toBe('approved');
    const result = await handle.result();
    expect(result.outcome).toBe('restored');
    expect(result.plan).toContain(
      'wait for one approval by someone other than the starter, for all services (approve Update or signal)',
    );
    expect(result.approval).toMatchObject({
      required: true,
      decision: 'approved',
      identity: 'bob@ops',
      by: 'Bob, on call',
      startedBy: 'alice@ops',
      approvals: [{ identity: 'bob@ops', by: 'Bob, on call' }],
      approvalsNeeded: 1,
    });
  });

  it('in production refuses requireApproval: false for a swap', async () => {
    const world = bed.reset();
    world.approvalRule = PRODUCTION_RULE;
    const failure = await failureOf(await startRestore('alice@ops', { service: 'argus', requireApproval: false }));
    expect(applicationFailure(failure)?.message).toContain('this deployment requires approval for every swap');
    expect(world.called(RESTORE_BACKUP_ACTIVITY)).toEqual([]);
  });

  it('in production an in-place restore needs two different approvers, neither the starter', async () => {
    const world = bed.reset();
    world.approvalRule = PRODUCTION_RULE;
    const handle = await startRestore('alice@ops', { service: 'hermes', mode: 'in-place' });
    await waitForStep(handle, 'awaiting-approval');

    const first = await approve('bob@ops', handle);
    expect(first).toMatchObject({ status: 'waiting', approvalsNeeded: 2, approvals: [{ identity: 'bob@ops' }] });
    expect(first.detail).toContain('waiting for 1 more approval(s) by someone other than alice@ops and bob@ops');
    expect((await approve('bob@ops', handle)).detail).toBe(
      'bob@ops has approved already: a second, different approver is needed',
    );
    expect((await approve('alice@ops', handle)).status).toBe('refused');
    expect(world.service('hermes').appsRunning).toBe(false); // in place: down since before the restore

    const second = await approve('carol@ops', handle);
    expect(second.status).toBe('approved');
    const result = await handle.result();
    expect(result.outcome).toBe('restored');
    expect(result.approval.approvals?.map((a) => a.identity)).toEqual(['bob@ops', 'carol@ops']);
  });

  it('in production a full-system restore needs two different approvers', async () => {
    const world = bed.reset();
    world.approvalRule = PRODUCTION_RULE;
    const handle = await startFullRestore('alice@ops', {});
    await waitForStep(handle, 'awaiting-approval');
    expect((await approve('bob@ops', handle)).status).toBe('waiting');
    expect(world.called('stopApps')).toEqual([]);
    expect((await approve('dave@ops', handle)).status).toBe('approved');
    const result = await handle.result();
    expect(result.outcome).toBe('restored');
    expect(result.approval).toMatchObject({ startedBy: 'alice@ops', approvalsNeeded: 2 });
    expect(result.plan).toContain(
      'wait for two approvals by two different people, neither of them the starter, for all services (approve Update or signal)',
    );
    expect(result.approval.approvals?.map((a) => a.identity)).toEqual(['bob@ops', 'dave@ops']);
  });

  it('in the sandbox one approval by anyone, the starter too, is enough', async () => {
    bed.reset();
    const handle = await startFullRestore('alice@ops', { requireApproval: true });
    await waitForStep(handle, 'awaiting-approval');
    expect((await approve('alice@ops', handle)).status).toBe('approved');
    expect((await handle.result()).approval).toMatchObject({ identity: 'alice@ops', approvalsNeeded: 1 });
  });
});
