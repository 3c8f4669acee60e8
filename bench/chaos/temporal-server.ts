import { spawn, type ChildProcess } from 'node:child_process';
import { mkdir, open } from 'node:fs/promises';
import path from 'node:path';
import { Connection } from '@temporalio/client';
import { projectRoot } from '../../shared/node/settings';
import { OPARETA_SEARCH_ATTRIBUTES } from '../../workflows/definitions';
import { chaosStack } from '../derived-topology';

/**
 * The suite's own Temporal dev server (gRPC 7333, UI 8333, history in .data/chaos/temporal.db), so the
 * "kill the Temporal server" scenario stops nobody else's workflows. Started in its own process group
 * (a Ctrl-C reaches the suite only, which then stops it); the same db file survives a kill and restart.
 */
export const CHAOS_TEMPORAL_PORT = Number(process.env.CHAOS_TEMPORAL_PORT ?? 7333);
export const CHAOS_TEMPORAL_UI_PORT = Number(process.env.CHAOS_TEMPORAL_UI_PORT ?? 8333);
export const chaosTemporalAddress = `localhost:${CHAOS_TEMPORAL_PORT}`;
const databaseFile = path.join(chaosStack.dataDir, 'temporal.db');
const logFile = path.join(chaosStack.dataDir, 'temporal-server.log');
const binary = process.env.TEMPORAL_CLI_PATH ?? path.join(projectRoot, '.tools', 'temporal', 'bin', 'temporal');
const READY_MS = 120_000;

export class ChaosTemporalServer {
  private child?: ChildProcess;

  get pid(): number | undefined {
    return this.child?.pid;
  }

  get running(): boolean {
    return this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null;
  }

  async start(): Promise<void> {
    await mkdir(chaosStack.dataDir, { recursive: true });
    const log = await open(logFile, 'a');
    // All four are plain keywords (workflows/definitions.ts).
    const searchAttributes = OPARETA_SEARCH_ATTRIBUTES.flatMap((a) => ['--search-attribute', `${a.name}=Keyword`]);
    const child = spawn(
      binary,
      [
        'server',
        'start-dev',
        '--port',
        String(CHAOS_TEMPORAL_PORT),
        '--ui-port',
        String(CHAOS_TEMPORAL_UI_PORT),
        '--db-filename',
        databaseFile,
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

  /** SIGKILL, as a crashed host would; the db file keeps the histories. */
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
    const deadline = Date.now() + READY_MS;
    for (;;) {
      if (this.child?.exitCode !== null) throw new Error(`the chaos Temporal server exited; see ${logFile}`);
      try {
        const connection = await Connection.connect({ address: chaosTemporalAddress, connectTimeout: 2_000 });
        try {
          await connection.workflowService.countWorkflowExecutions({ namespace: 'default' });
          return;
        } finally {
          await connection.close();
        }
      } catch (err) {
        if (Date.now() > deadline) throw new Error(`the chaos Temporal server is not serving: ${String(err)}`);
        await new Promise((resolve) => setTimeout(resolve, 500));
      }
    }
  }
}
