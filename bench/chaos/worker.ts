import { startWorkerProcess, type WorkerProcess } from '../../test/support/worker-process';

/**
 * The real worker (worker/main.ts) as a child process that a scenario can SIGKILL on purpose. An exit the
 * suite did not cause (an unhandled error in the worker, say) is counted as a crash and the worker is
 * started again, as `npm start` should do, so one crash does not stall every later run.
 */
export class ChaosWorker {
  /** Exits the suite did not cause, since the last `takeCrashes()`. */
  private crashes = 0;
  private crashLog: string[] = [];
  private current?: WorkerProcess;
  private starting?: Promise<void>;
  private expectingExit = false;
  private stopping = false;
  private earlierOutput = '';

  constructor(
    private readonly env: Record<string, string>,
    private readonly log: (line: string) => void,
  ) {}

  get running(): boolean {
    return this.current !== undefined;
  }

  start(): Promise<void> {
    this.starting = (async () => {
      const worker = await startWorkerProcess(this.env);
      this.current = worker;
      worker.child.once('exit', (code, signal) => {
        const output = worker.output();
        this.earlierOutput = (this.earlierOutput + output).slice(-200_000);
        if (this.current === worker) this.current = undefined;
        if (this.stopping || this.expectingExit) return;
        this.crashes += 1;
        const lastLines = output.trim().split('\n').slice(-3).join(' | ');
        this.crashLog.push(`${signal ?? `code ${code}`}: ${lastLines.slice(0, 400)}`);
        this.log(`chaos: the worker exited unexpectedly (${signal ?? `code ${code}`}); starting another`);
        void this.restartUntilUp();
      });
    })();
    return this.starting;
  }

  /** Retried: a worker that died with the Temporal server cannot start before the server is back. */
  private async restartUntilUp(): Promise<void> {
    for (let attempt = 1; !this.stopping && !this.current; attempt += 1) {
      try {
        await this.start();
      } catch (err) {
        this.log(`chaos: could not restart the worker (attempt ${attempt}): ${String(err).slice(0, 300)}`);
        await new Promise((resolve) => setTimeout(resolve, 2_000));
      }
    }
  }

  /** SIGKILL: no shutdown, no activity completion, as an OOM kill or a lost host. */
  async kill(): Promise<void> {
    await this.starting?.catch(() => undefined);
    this.expectingExit = true;
    try {
      await this.current?.stop('SIGKILL');
    } finally {
      this.expectingExit = false;
    }
  }

  /** Starts a worker unless one runs (a crash restart may have started one already). */
  async ensureRunning(): Promise<void> {
    await this.starting?.catch(() => undefined);
    if (!this.current) await this.start();
  }

  takeCrashes(): { count: number; lines: string[] } {
    const taken = { count: this.crashes, lines: this.crashLog };
    this.crashes = 0;
    this.crashLog = [];
    return taken;
  }

  output(): string {
    return this.earlierOutput + (this.current?.output() ?? '');
  }

  async stop(): Promise<void> {
    this.stopping = true;
    await this.starting?.catch(() => undefined);
    const current = this.current;
    if (!current) return;
    // A worker waiting on an activity that will never finish is killed: the suite leaves no worker behind.
    const timer = setTimeout(() => void current.stop('SIGKILL'), 20_000);
    await current.stop();
    clearTimeout(timer);
  }
}
