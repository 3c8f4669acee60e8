import {
  allHandlersFinished,
  ApplicationFailure,
  condition,
  currentUpdateInfo,
  log,
  patched,
  setHandler,
} from '@temporalio/workflow';
import type { ApprovalRequestRef } from '../shared/activity-contract';
import type {
  ApprovalDecision,
  ApprovalRecord,
  ApprovalState,
  ApprovalVote,
  RestoreMode,
} from '../shared/workflow-types';
import { quick } from './activity-proxies';
import { approveSignal, approveUpdate, rejectSignal, rejectUpdate } from './definitions';
import { failureMessage, invalidInput } from './failures';

/** Runs recorded before the approval rules replay as they ran: the first signal wins, whenever it came. */
const APPROVAL_RULES_PATCH = 'approval-rules';
const MAX_NOTE_LENGTH = 500;

type Kind = 'approve' | 'reject';

export interface ApprovalRequestOptions {
  kind: 'restore' | 'full-restore';
  mode: RestoreMode;
  requireApproval?: boolean;
  dryRun: boolean;
}

/**
 * The human gate before a swap. It opens only once every side database is verified: an approve or reject
 * sent earlier is refused (the update's validator) or ignored (the signal), never remembered. The approver
 * is the client identity Temporal recorded for the request, read back from the history by an activity;
 * `by` is kept as a note. Under the deployment's `distinctApprovers` rule the starter cannot approve, and
 * a full-system or in-place restore needs two different approvers. Silence until the timeout rejects.
 */
export class ApprovalGate {
  private readonly enforced = patched(APPROVAL_RULES_PATCH);
  private approvalsNeeded = 1;
  private asks = true;
  private distinctApprovers = false;
  private state: 'not-yet' | 'open' | 'closed' = 'not-yet';
  private closedBecause = 'the approval is closed';
  private decision?: { approved: boolean } & Partial<ApprovalVote>;
  private readonly approvals: ApprovalVote[] = [];
  private startedBy?: string;
  private readonly signalsSeen: Record<Kind, number> = { approve: 0, reject: 0 };

  constructor(private readonly currentStep: () => string) {
    // The UI may send an update without arguments: `input` is read as optional throughout.
    setHandler(approveUpdate, (input?: ApprovalDecision) => this.decide('approve', this.updateRef(), input), {
      validator: (input?: ApprovalDecision) => this.validate(input),
    });
    setHandler(rejectUpdate, (input?: ApprovalDecision) => this.decide('reject', this.updateRef(), input), {
      validator: (input?: ApprovalDecision) => this.validate(input),
    });
    setHandler(approveSignal, (input) => this.onSignal('approve', input));
    setHandler(rejectSignal, (input) => this.onSignal('reject', input));
  }

  /** Whether this restore waits for approval: the input's choice, else the deployment's (config `approval`). */
  async configure(request: ApprovalRequestOptions): Promise<boolean> {
    if (!this.enforced) {
      this.asks = request.requireApproval ?? false;
      return this.asks;
    }
    const rule = await quick.approvalRule();
    if (rule.required && request.requireApproval === false && !request.dryRun) {
      throw invalidInput(
        'requireApproval: this deployment requires approval for every swap (config approval.required)',
      );
    }
    this.distinctApprovers = rule.distinctApprovers;
    const twoPeople = request.kind === 'full-restore' || request.mode === 'in-place';
    this.approvalsNeeded = rule.distinctApprovers && twoPeople ? 2 : 1;
    this.asks = request.requireApproval ?? rule.required;
    return this.asks;
  }

  /** The approval step in the plan's words: how many people, and whether the starter may be one of them. */
  describe(): string | undefined {
    if (!this.asks) return undefined;
    const who =
      this.approvalsNeeded === 2
        ? 'two approvals by two different people, neither of them the starter'
        : this.distinctApprovers
          ? 'one approval by someone other than the starter'
          : 'one approval';
    return `wait for ${who}, for all services (approve Update or signal)`;
  }

  async wait(timeoutSeconds: number): Promise<ApprovalRecord> {
    this.state = 'open';
    const decided = await condition(() => this.decision !== undefined, timeoutSeconds * 1000);
    if (!decided) this.closedBecause = `no decision within ${timeoutSeconds} s`;
    this.state = 'closed';
    // A request still reading its identity answers "too late" before the workflow moves on.
    await condition(allHandlersFinished);
    const record: ApprovalRecord = { required: true };
    if (this.enforced) {
      Object.assign(record, {
        approvals: [...this.approvals],
        approvalsNeeded: this.approvalsNeeded,
        startedBy: this.startedBy,
      });
    }
    if (!this.decision) return { ...record, decision: 'timed-out', reason: this.closedBecause };
    const { approved, by, reason, identity } = this.decision;
    return { ...record, decision: approved ? 'approved' : 'rejected', by, reason, identity };
  }

  private updateRef(): ApprovalRequestRef {
    return { kind: 'update', updateId: currentUpdateInfo()?.id ?? '' };
  }

  /** The update validator: a refused request leaves no trace in the history. */
  private validate(input?: ApprovalDecision): void {
    const problem = this.notOpen() ?? badNote(input);
    if (problem) throw ApplicationFailure.nonRetryable(problem, 'ApprovalRefused');
  }

  private notOpen(): string | undefined {
    if (this.state === 'open') return undefined;
    if (this.state === 'closed') return `too late: ${this.closedBecause}`;
    if (!this.asks) return 'this restore does not wait for approval (it was started without requireApproval)';
    return (
      `nothing to approve yet: the restore is in step "${this.currentStep()}"; approval opens once ` +
      'every restored database is verified (step "awaiting-approval"), and an earlier request is not remembered'
    );
  }

  private async onSignal(kind: Kind, input?: ApprovalDecision): Promise<void> {
    const index = this.signalsSeen[kind]++;
    if (!this.enforced) {
      this.decision ??= { approved: kind === 'approve', by: input?.by, reason: input?.reason };
      return;
    }
    const problem = this.notOpen() ?? badNote(input);
    if (problem) {
      log.warn(`${kind} signal ignored: ${problem}`);
      return;
    }
    try {
      const answer = await this.decide(kind, { kind: 'signal', name: kind, index }, input);
      log.info(`${kind} signal: ${answer.status}: ${answer.detail}`);
    } catch (err) {
      // A failure thrown from a signal handler would fail the whole restore; this request just does not count.
      log.warn(`${kind} signal not counted: ${failureMessage(err)}`);
    }
  }

  private async decide(kind: Kind, ref: ApprovalRequestRef, input?: ApprovalDecision): Promise<ApprovalState> {
    const { startedBy, requestedBy } = await quick.approvalIdentities(ref);
    this.startedBy ??= startedBy;
    if (this.state !== 'open') return this.answer('refused', `too late: ${this.closedBecause}`);
    const vote: ApprovalVote = { identity: requestedBy ?? 'unknown', by: input?.by, reason: input?.reason };
    if (kind === 'reject') {
      this.close({ approved: false, ...vote }, `rejected by ${describeVote(vote)}`);
      return this.answer('rejected', `rejected by ${describeVote(vote)}: production stays as it is`);
    }
    const refusal = this.refusal(requestedBy, startedBy);
    if (refusal) return this.answer('refused', refusal);
    this.approvals.push(vote);
    const missing = this.approvalsNeeded - this.approvals.length;
    if (missing > 0) {
      return this.answer(
        'waiting',
        `approved by ${describeVote(vote)}; waiting for ${missing} more approval(s) by someone other than ` +
          `${[startedBy, ...this.approvals.map((a) => a.identity)].filter(Boolean).join(' and ')}`,
      );
    }
    this.close({ approved: true, ...vote }, `approved by ${this.approvals.map(describeVote).join(' and ')}`);
    return this.answer('approved', `${this.closedBecause}: the swap starts`);
  }

  /** Why this approver may not approve under the deployment's rule, if they may not. */
  private refusal(requestedBy: string | undefined, startedBy: string | undefined): string | undefined {
    if (!this.distinctApprovers) return undefined;
    if (!requestedBy) return 'the request carries no client identity, so it cannot count as an approval';
    if (requestedBy === startedBy) {
      return `${requestedBy} started this restore and cannot approve it: someone else must`;
    }
    if (this.approvals.some((a) => a.identity === requestedBy)) {
      return `${requestedBy} has approved already: a second, different approver is needed`;
    }
    return undefined;
  }

  private close(decision: { approved: boolean } & ApprovalVote, because: string): void {
    this.decision = decision;
    this.closedBecause = because;
    this.state = 'closed';
  }

  private answer(status: ApprovalState['status'], detail: string): ApprovalState {
    return { status, detail, approvals: [...this.approvals], approvalsNeeded: this.approvalsNeeded };
  }
}

function describeVote(vote: ApprovalVote): string {
  return vote.by && vote.by !== vote.identity ? `${vote.identity} (${vote.by})` : vote.identity;
}

function badNote(input?: ApprovalDecision): string | undefined {
  for (const field of ['by', 'reason'] as const) {
    const value: unknown = input?.[field];
    if (value === undefined) continue;
    if (typeof value !== 'string' || value.length > MAX_NOTE_LENGTH) {
      return `${field} must be text of at most ${MAX_NOTE_LENGTH} characters`;
    }
  }
  return undefined;
}
