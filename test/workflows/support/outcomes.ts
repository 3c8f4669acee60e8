import { WorkflowFailedError, type WorkflowHandle } from '@temporalio/client';
import { ActivityFailure, ApplicationFailure, CancelledFailure, ChildWorkflowFailure } from '@temporalio/common';

/** Awaits a workflow that must fail and returns its failure. */
export async function failureOf(handle: WorkflowHandle): Promise<WorkflowFailedError> {
  try {
    await handle.result();
  } catch (err) {
    if (err instanceof WorkflowFailedError) return err;
    throw err;
  }
  throw new Error(`${handle.workflowId} completed but was expected to fail`);
}

/** The innermost ApplicationFailure of a workflow failure (through activity and child failures). */
export function applicationFailure(err: WorkflowFailedError): ApplicationFailure | undefined {
  let cause: unknown = err.cause;
  while (cause instanceof ActivityFailure || cause instanceof ChildWorkflowFailure) cause = cause.cause;
  return cause instanceof ApplicationFailure ? cause : undefined;
}

export function wasCancelled(err: WorkflowFailedError): boolean {
  return err.cause instanceof CancelledFailure;
}

let sequence = 0;
/** Workflow IDs unique within a test server's lifetime. */
export function uniqueId(prefix: string): string {
  sequence += 1;
  return `${prefix}-${sequence}`;
}
