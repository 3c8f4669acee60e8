import { Context } from '@temporalio/activity';
import type { DrActivities } from '../../../shared/activity-contract';

/** Makes an activity wait inside the worker until the test releases it or the activity is cancelled. */
export class ActivityGate {
  private releaseGate!: () => void;
  private enteredGate!: () => void;
  readonly released = new Promise<void>((resolve) => (this.releaseGate = resolve));
  readonly entered = new Promise<void>((resolve) => (this.enteredGate = resolve));
  wasCancelled = false;

  constructor(
    readonly activity: keyof DrActivities,
    readonly matches: (input: unknown) => boolean = () => true,
  ) {}

  release(): void {
    this.releaseGate();
  }

  async hold(): Promise<void> {
    this.enteredGate();
    let released = false;
    void this.released.then(() => (released = true));
    const context = Context.current();
    try {
      while (!released) {
        context.heartbeat();
        await context.sleep(20);
      }
    } catch (err) {
      this.wasCancelled = true;
      throw err;
    }
  }
}
