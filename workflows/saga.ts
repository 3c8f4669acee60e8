import { CancellationScope, log } from '@temporalio/workflow';

interface Compensation {
  name: string;
  undo: () => Promise<void>;
}

/**
 * A compensation stack: push the undo of each step once the step may have changed something; on failure
 * run them newest first in a non-cancellable scope, log and swallow their own errors, and let the caller
 * rethrow the original failure.
 */
export class Compensations {
  private readonly stack: Compensation[] = [];
  /** Names of the compensations that ran, in order, with "(failed)" for those that threw. */
  readonly ran: string[] = [];

  push(name: string, undo: () => Promise<void>): void {
    this.stack.push({ name, undo });
  }

  /** Drops a compensation that is no longer wanted (the step's effect became the new truth). */
  forget(name: string): void {
    const index = this.stack.findIndex((c) => c.name === name);
    if (index >= 0) this.stack.splice(index, 1);
  }

  get pending(): number {
    return this.stack.length;
  }

  async compensate(): Promise<void> {
    await CancellationScope.nonCancellable(async () => {
      for (let next = this.stack.pop(); next; next = this.stack.pop()) {
        try {
          await next.undo();
          this.ran.push(next.name);
        } catch (err) {
          this.ran.push(`${next.name} (failed)`);
          log.error('compensation failed', { compensation: next.name, error: String(err) });
        }
      }
    });
  }
}
