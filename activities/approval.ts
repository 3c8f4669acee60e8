import { Context } from '@temporalio/activity';
import type { ApprovalRequestRef, ApprovalRule, RequestIdentities } from '../shared/activity-contract';
import type { Topology } from '../shared/node/topology';

export function approvalRule(topology: Topology): ApprovalRule {
  return { required: topology.approval.required, distinctApprovers: topology.approval.distinctApprovers };
}

/**
 * Who started the calling workflow and who sent one approve/reject request, as Temporal recorded them: the
 * client identity of the start (WorkflowExecutionStarted), of an update (its accepted request's meta) or of a
 * signal (WorkflowExecutionSignaled). A workflow handler is not told its caller's identity; its history is.
 * Not found yet is an ordinary (retried) error: the request is in the history before this activity starts.
 */
export async function approvalIdentities(ref: ApprovalRequestRef): Promise<RequestIdentities> {
  const context = Context.current();
  const execution = context.info.workflowExecution;
  if (!execution) throw new Error('approvalIdentities runs only for a workflow');
  const { workflowId, runId } = execution;
  const history = await context.client.workflow.getHandle(workflowId, runId).fetchHistory();
  const events = history.events ?? [];
  const startedBy = events[0]?.workflowExecutionStartedEventAttributes?.identity || undefined;
  let requestedBy: string | undefined;
  let found = false;
  if (ref.kind === 'update') {
    for (const event of events) {
      const request = event.workflowExecutionUpdateAcceptedEventAttributes?.acceptedRequest;
      if (request?.meta?.updateId !== ref.updateId) continue;
      found = true;
      requestedBy = request.meta.identity || undefined;
      break;
    }
  } else {
    const signals = events.filter((e) => e.workflowExecutionSignaledEventAttributes?.signalName === ref.name);
    const signal = signals[ref.index]?.workflowExecutionSignaledEventAttributes;
    found = Boolean(signal);
    requestedBy = signal?.identity || undefined;
  }
  if (!found) {
    const what = ref.kind === 'update' ? `update ${ref.updateId}` : `signal ${ref.name} #${ref.index + 1}`;
    throw new Error(`${what} is not in the history of ${workflowId} yet`);
  }
  return { startedBy, requestedBy };
}
