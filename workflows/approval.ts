import { condition, setHandler } from '@temporalio/workflow';
import type { ApprovalDecision, ApprovalRecord } from '../shared/workflow-types';
import { approveSignal, rejectSignal } from './definitions';

/** The human gate before a swap: the first approve or reject signal wins; silence until the timeout rejects. */
export class ApprovalGate {
  private decision?: { approved: boolean } & ApprovalDecision;

  constructor() {
    setHandler(approveSignal, (input) => {
      this.decision ??= { approved: true, by: input?.by, reason: input?.reason };
    });
    setHandler(rejectSignal, (input) => {
      this.decision ??= { approved: false, by: input?.by, reason: input?.reason };
    });
  }

  async wait(timeoutSeconds: number): Promise<ApprovalRecord> {
    const decided = await condition(() => this.decision !== undefined, timeoutSeconds * 1000);
    if (!decided || !this.decision) {
      return { required: true, decision: 'timed-out', reason: `no decision within ${timeoutSeconds} s` };
    }
    const { approved, by, reason } = this.decision;
    return { required: true, decision: approved ? 'approved' : 'rejected', by, reason };
  }
}
