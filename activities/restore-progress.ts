import type { RestoreProgress } from '../shared/activity-contract';

/** Progress of a stream of known total size, with rate and ETA, for heartbeats and logs. */
export class ProgressTracker {
  private done = 0;
  private readonly startedAt: number;

  /** `now` is injectable so a test can run a two-hour restore in a second. */
  constructor(
    private readonly total: number,
    private readonly now: () => number = Date.now,
  ) {
    this.startedAt = now();
  }

  update(bytesDone: number): void {
    this.done = bytesDone;
  }

  get bytesDone(): number {
    return this.done;
  }

  snapshot(): RestoreProgress {
    const seconds = (this.now() - this.startedAt) / 1000;
    const bytesPerSecond = seconds > 0 ? Math.round(this.done / seconds) : 0;
    const percent = this.total > 0 ? Math.round((this.done / this.total) * 1000) / 10 : 100;
    const etaSeconds = bytesPerSecond > 0 ? Math.round((this.total - this.done) / bytesPerSecond) : undefined;
    return { bytesDone: this.done, bytesTotal: this.total, percent, bytesPerSecond, etaSeconds };
  }
}
