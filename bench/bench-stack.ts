import { rm, rmdir } from 'node:fs/promises';
import path from 'node:path';
import { Client, Connection, type WorkflowHandle } from '@temporalio/client';
import { backupService, generateData, sandboxDown, sandboxUp, type BackupResult } from '../sandbox';
import type { Topology } from '../shared/node/topology';
import { benchStack, type DerivedTopologyFile } from './derived-topology';
import { BENCH_NAMESPACE, connectBenchClient, freePort } from './downtime/temporal';
import { SupervisedWorker } from './downtime/worker';
import { TemporalDevServer } from './temporal-dev-server';

/**
 * The stack the downtime and runbook benchmarks restore on: the `opareta-bench-*` containers (bench/
 * derived-topology.ts), the real worker as a supervised child process on a task queue of this run, and either
 * the Temporal server the environment names (namespace `opareta-bench`) or a dev server of the bench's own
 * (in memory, headless, a free port). `up()` starts from a clean stack with the sandbox's default data;
 * `down()` removes containers, volumes, backups and secrets, whatever happened.
 */
export interface BenchStackOptions {
  /** `downtime`, `runbook`: in the task queue and the messages. */
  label: string;
  temporal: 'environment' | 'own-dev-server';
  log: (line: string) => void;
}

/** One backup generation of every service under one timestamp, after the data grew. */
export interface BenchGeneration {
  backups: BackupResult[];
  generateSeconds: number;
  backupSeconds: number;
}

function wholeSecond(): Date {
  return new Date(Math.floor(Date.now() / 1000) * 1000);
}

export function secondsSince(startedMs: number): number {
  return (Date.now() - startedMs) / 1000;
}

export class BenchStack {
  readonly taskQueue: string;
  /** The workflow in flight, terminated when the bench stops early. */
  running?: WorkflowHandle;
  client!: Client;
  worker?: SupervisedWorker;
  private file?: DerivedTopologyFile;
  private server?: TemporalDevServer;
  private lastTimestamp?: Date;
  private stopping?: Promise<void>;

  constructor(private readonly options: BenchStackOptions) {
    this.taskQueue = `opareta-dr-${options.label}-bench-${process.pid}`;
  }

  get topology(): Topology {
    if (!this.file) throw new Error('the bench stack is not up');
    return this.file.topology;
  }

  get services(): string[] {
    return Object.keys(this.topology.services);
  }

  async up(): Promise<void> {
    const log = this.options.log;
    this.file = await benchStack.write();
    // A clean start: whatever an interrupted run left goes, so the data is exactly the default data.
    await this.removeStack();
    await sandboxUp({ topology: this.topology, data: true, backups: false, log });
    let temporalEnv: Record<string, string>;
    if (this.options.temporal === 'own-dev-server') {
      this.server = new TemporalDevServer({
        name: `${this.options.label} bench`,
        port: await freePort(),
        logFile: this.serverLogFile(),
      });
      await this.server.start();
      log(`bench: Temporal dev server on ${this.server.address} (in memory, pid ${this.server.pid})`);
      const connection = await Connection.connect({ address: this.server.address });
      this.client = new Client({ connection, namespace: 'default' });
      temporalEnv = { TEMPORAL_ADDRESS: this.server.address, TEMPORAL_NAMESPACE: 'default' };
    } else {
      this.client = await connectBenchClient();
      temporalEnv = { TEMPORAL_NAMESPACE: BENCH_NAMESPACE };
    }
    this.worker = new SupervisedWorker(
      {
        OPARETA_CONFIG: this.file.file,
        OPARETA_TASK_QUEUE: this.taskQueue,
        OPARETA_METRICS_PORT: String(await freePort()),
        ...temporalEnv,
      },
      log,
    );
    await this.worker.start();
  }

  /**
   * Appends `addUnits` scale units of data to every service, then takes one backup of each under one timestamp,
   * a second after the previous generation's (backup names carry whole seconds).
   */
  async newGeneration(addUnits: number): Promise<BenchGeneration> {
    const log = this.options.log;
    const generateStarted = Date.now();
    for (const service of addUnits > 0 ? this.services : []) {
      log(`bench: generating ${addUnits} more scale units of ${service}`);
      await generateData(service, { topology: this.topology, scale: addUnits });
    }
    const generateSeconds = secondsSince(generateStarted);

    let timestamp = wholeSecond();
    while (this.lastTimestamp && timestamp <= this.lastTimestamp) {
      await new Promise((resolve) => setTimeout(resolve, 250));
      timestamp = wholeSecond();
    }
    this.lastTimestamp = timestamp;
    const backupStarted = Date.now();
    const backups = [];
    for (const service of this.services)
      backups.push(await backupService(service, { topology: this.topology, timestamp, log }));
    return { backups, generateSeconds, backupSeconds: secondsSince(backupStarted) };
  }

  /**
   * Stops the worker (first: a worker a Ctrl-C also reached is not started again), the workflow, the dev server
   * (its log is kept when the bench failed) and the stack.
   */
  down(failed = false): Promise<void> {
    this.stopping ??= (async () => {
      const workerStopped = this.worker?.stop();
      await this.running?.terminate(`the ${this.options.label} bench stopped`).catch(() => undefined);
      await workerStopped;
      await this.client?.connection.close();
      await this.server?.stop();
      if (this.server && failed) this.options.log(`bench: the Temporal dev server's log: ${this.serverLogFile()}`);
      else await rm(this.serverLogFile(), { force: true });
      if (this.file) {
        await this.removeStack();
        await this.file.remove();
      }
    })();
    return this.stopping;
  }

  /** Worker processes that died so far (0 unless something stopped the worker from outside). */
  get workerRestarts(): number {
    return this.worker?.restarts ?? 0;
  }

  /** The worker's output, for the error that stopped a bench. */
  workerOutput(): string {
    return this.worker?.output() ?? '';
  }

  private serverLogFile(): string {
    return path.join(benchStack.dataDir, `temporal-${this.options.label}.log`);
  }

  /** Removes the bench containers, volumes, network, backups and secrets; keeps others' files in .data/bench. */
  private async removeStack(): Promise<void> {
    await sandboxDown({ topology: this.topology, volumes: true, log: this.options.log });
    await rm(benchStack.backupRoot, { recursive: true, force: true });
    await rm(benchStack.secretsDir, { recursive: true, force: true });
    // The restore benchmark keeps its 1 GB dump in .data/bench: remove the directory only when it is empty.
    await rmdir(benchStack.dataDir).catch(() => undefined);
  }
}

/**
 * Runs `measure` on a bench stack that is up, and takes the stack down afterwards, on an error (after printing
 * the end of the worker's output) and on Ctrl-C alike.
 */
export async function onBenchStack<T>(
  options: BenchStackOptions,
  measure: (stack: BenchStack) => Promise<T>,
): Promise<T> {
  const stack = new BenchStack(options);
  process.once('SIGINT', () => {
    options.log('bench: interrupted, removing the bench stack');
    void stack.down().finally(() => process.exit(130));
  });
  let failed = false;
  try {
    await stack.up();
    return await measure(stack);
  } catch (err) {
    failed = true;
    console.error(`bench: worker output (last 4000 characters):\n${stack.workerOutput().slice(-4000)}`);
    throw err;
  } finally {
    await stack.down(failed);
  }
}
