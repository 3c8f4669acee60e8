import {
  ApplicationFailure,
  CancellationScope,
  ChildWorkflowCancellationType,
  ParentClosePolicy,
  condition,
  defineSignal,
  log,
  setHandler,
  startChild,
  workflowInfo,
  type ChildWorkflowHandle,
} from '@temporalio/workflow';
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import { ErrorType } from '../shared/errors';
import { serviceLockWorkflowId } from '../shared/workflow-types';

export const releaseLockSignal = defineSignal('release');

/**
 * Holds the restore lock of one service for as long as it runs. Temporal allows one running workflow per
 * ID, so starting `restore-lock-<service>` fails while another restore holds it, whatever ID that restore
 * was started with. The lock ends on `release`, or is terminated with its parent (ParentClosePolicy).
 */
export async function serviceRestoreLock(_input: { service: string; holder: string }): Promise<void> {
  let released = false;
  setHandler(releaseLockSignal, () => {
    released = true;
  });
  await condition(() => released);
}

type LockHandle = ChildWorkflowHandle<typeof serviceRestoreLock>;

/** Takes every service's lock or none; refuses with RestoreAlreadyRunning when one is held. */
export async function acquireServiceLocks(services: string[]): Promise<LockHandle[]> {
  const holder = workflowInfo().workflowId;
  const held: LockHandle[] = [];
  // Not cancellable: the lock must outlive a cancel request until the compensation has run.
  await CancellationScope.nonCancellable(async () => {
    for (const service of services) {
      const workflowId = serviceLockWorkflowId(service);
      try {
        held.push(
          await startChild(serviceRestoreLock, {
            workflowId,
            args: [{ service, holder }],
            parentClosePolicy: ParentClosePolicy.TERMINATE,
            cancellationType: ChildWorkflowCancellationType.ABANDON,
          }),
        );
      } catch (err) {
        await releaseServiceLocks(held);
        if (err instanceof WorkflowExecutionAlreadyStartedError) {
          throw ApplicationFailure.create({
            message: `a restore of ${service} is already running (it holds the workflow ${workflowId}); wait for it or cancel it`,
            type: ErrorType.RestoreAlreadyRunning,
            nonRetryable: true,
          });
        }
        throw err;
      }
    }
  });
  return held;
}

export async function releaseServiceLocks(locks: LockHandle[]): Promise<void> {
  await CancellationScope.nonCancellable(async () => {
    for (const lock of locks) {
      try {
        await lock.signal(releaseLockSignal);
      } catch (err) {
        // The lock ends with this workflow anyway (ParentClosePolicy.TERMINATE).
        log.warn('could not release a service lock', { lock: lock.workflowId, error: String(err) });
      }
    }
  });
}
