import { CancellationScope, isCancellation, log, patched, sleep } from '@temporalio/workflow';
import { failureMessage } from './failures';

interface Compensation {
  name: string;
  undo: () => Promise<void>;
}

/** Runs started before this change ran each compensation once and swallowed its failure. */
const COMPENSATION_RETRIES_PATCH = 'compensation-retries';
/** Each compensation's activities already retry for minutes; these rounds outlast a longer outage. */
const ROUNDS = 3;
const BETWEEN_ROUNDS = '30 seconds';

/**
 * A compensation stack: push the undo of each step once the step may have changed something; on failure
 * run them newest first in a non-cancellable scope. An undo that throws is tried again (it must be safe to
 * repeat: ours read the state first); one that still fails is recorded in `failed` and the next ones still
 * run, and the caller reports the state to finish by hand and rethrows or returns the original failure.
 */
export class Compensations {
  private readonly stack: Compensation[] = [];
  /** Names of the compensations that ran, in order, with "(failed)" for those that did not finish. */
  readonly ran: string[] = [];
  /** The compensations that did not finish after every round, with their last error. */
  readonly failed: { name: string; error: string }[] = [];

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
    const rounds = patched(COMPENSATION_RETRIES_PATCH) ? ROUNDS : 1;
    await CancellationScope.nonCancellable(async () => {
      for (let next = this.stack.pop(); next; next = this.stack.pop()) {
        const error = await runWithRounds(next, rounds);
        if (error === undefined) {
          this.ran.push(next.name);
        } else {
          this.ran.push(`${next.name} (failed)`);
          this.failed.push({ name: next.name, error });
          log.error('compensation failed', { compensation: next.name, error });
        }
      }
    });
  }
}

/** Undefined when the undo finished; else its last error. */
async function runWithRounds(compensation: Compensation, rounds: number): Promise<string | undefined> {
  let lastError = '';
  for (let round = 1; round <= rounds; round++) {
    try {
      await compensation.undo();
      return undefined;
    } catch (err) {
      if (isCancellation(err)) throw err;
      lastError = failureMessage(err);
      log.warn('compensation did not finish; trying again', {
        compensation: compensation.name,
        round,
        error: lastError,
      });
      if (round < rounds) await sleep(BETWEEN_ROUNDS);
    }
  }
  return lastError;
}
