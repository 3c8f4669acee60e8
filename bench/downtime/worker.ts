import { startWorkerProcess, type WorkerProcess } from '../../test/support/worker-process';

/**
 * The bench's worker process, started again when it exits while the bench still needs it: on a shared
 * machine it has been stopped from outside mid-run, which left the next restore waiting for a worker forever.
 * `restarts` lets a measurement say that its workflow did not run on one worker throughout.
 */
export class SupervisedWorker {
  restarts = 0;
  private current?: WorkerProcess;
  private starting?: Promise<void>;
  private stopping = false;
  private earlierOutput = '';

  constructor(
    private readonly env: Record<string, string>,
    private readonly log: (line: string) => void,
  ) {}

  start(): Promise<void> {
    this.starting = (async () => {
      const worker = await startWorkerProcess(this.env);
      this.current = worker;
      worker.child.once('exit', (code, signal) => {
        this.earlierOutput += worker.output();
        if (this.current === worker) this.current = undefined;
        if (this.stopping) return;
        this.restarts += 1;
        this.log(`bench: the worker exited unexpectedly (${signal ?? `code ${code}`}); starting another`);
        this.start().catch((err: unknown) => this.log(`bench: could not restart the worker: ${String(err)}`));
      });
    })();
    return this.starting;
  }

  output(): string {
    return this.earlierOutput + (this.current?.output() ?? '');
  }

  async stop(): Promise<void> {
    this.stopping = true;
    await this.starting?.catch(() => undefined);
    await this.current?.stop();
  }
}
