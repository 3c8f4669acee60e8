import { spawn, type ChildProcess } from 'node:child_process';
import { mkdir, open } from 'node:fs/promises';
import path from 'node:path';
import { Connection } from '@temporalio/client';
import { projectRoot } from '../shared/node/settings';
import { OPARETA_SEARCH_ATTRIBUTES } from '../workflows/definitions';

export interface TemporalDevServerOptions {
  /** For messages: `chaos`, `bench`. */
  name: string;
  port: number;
  /** The Web UI's port; none (`--headless`) when absent. */
  uiPort?: number;
  /** History kept in this SQLite file, so it survives a kill and restart; in memory when absent. */
  databaseFile?: string;
  logFile: string;
}

const binary = process.env.TEMPORAL_CLI_PATH ?? path.join(projectRoot, '.tools', 'temporal', 'bin', 'temporal');
const READY_MS = 120_000;

/**
 * A Temporal dev server of a suite's own (`temporal server start-dev`), with the workflows' search attributes,
 * so what the suite does to it or runs on it reaches nobody else's workflows. Started in its own process group
 * (a Ctrl-C reaches the suite only, which then stops it).
 */
export class TemporalDevServer {
  private child?: ChildProcess;

  constructor(private readonly options: TemporalDevServerOptions) {}

  get address(): string {
    return `localhost:${this.options.port}`;
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  get running(): boolean {
    return this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null;
  }

  async start(): Promise<void> {
    const { port, uiPort, databaseFile, logFile } = this.options;
    await mkdir(path.dirname(logFile), { recursive: true });
    const log = await open(logFile, 'a');
    // All four are plain keywords (workflows/definitions.ts).
    const searchAttributes = OPARETA_SEARCH_ATTRIBUTES.flatMap((a) => ['--search-attribute', `${a.name}=Keyword`]);
    const child = spawn(
      binary,
      [
        'server',
        'start-dev',
        '--port',
        String(port),
        ...(uiPort === undefined ? ['--headless'] : ['--ui-port', String(uiPort)]),
        ...(databaseFile === undefined ? [] : ['--db-filename', databaseFile]),
        '--log-level',
        'warn',
        ...searchAttributes,
      ],
      { detached: true, stdio: ['ignore', log.fd, log.fd] },
    );
    this.child = child;
    child.once('exit', () => void log.close().catch(() => undefined));
    await this.waitServing();
  }

  /** SIGKILL, as a crashed host would; a database file keeps the histories. */
  async kill(): Promise<void> {
    await this.signal('SIGKILL');
  }

  /** SIGTERM, then SIGKILL after 10 s: the suite leaves no dev server behind. */
  async stop(): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(timer);
  }

  private async signal(signal: NodeJS.Signals): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill(signal);
    await exited;
  }

  private async waitServing(): Promise<void> {
    const { name, logFile } = this.options;
    const deadline = Date.now() + READY_MS;
    for (;;) {
      if (this.child?.exitCode !== null) throw new Error(`the ${name} Temporal server exited; see ${logFile}`);
      try {
        const connection = await Connection.connect({ address: this.address, connectTimeout: 2_000 });
        try {
          await connection.workflowService.countWorkflowExecutions({ namespace: 'default' });
          return;
        } finally {
          await connection.close();
        }
      } catch (err) {
        if (Date.now() > deadline) throw new Error(`the ${name} Temporal server is not serving: ${String(err)}`);
        await new Promise((resolve) => setTimeout(resolve, 500));
      }
    }
  }
}
