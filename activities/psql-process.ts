import { spawn } from 'node:child_process';
import { PassThrough, type Writable } from 'node:stream';
import type { ServiceConfig } from '../shared/topology';
import type { ContainerClient } from './docker';

/** A psql reading SQL from its standard input into one database. */
export interface PsqlProcess {
  input: Writable;
  /** Resolves when psql has exited, with its exit code and the end of its error output. */
  exited: Promise<{ exitCode: number; stderr: string }>;
  /** Cuts psql off and resolves once it no longer runs (or after a bounded wait, with false). */
  stop(): Promise<boolean>;
}

const PSQL_INPUT_BYTES = 1024 * 1024;

function psqlArguments(user: string, database: string): string[] {
  // -X: no ~/.psqlrc; -q: no "COPY n" chatter; ON_ERROR_STOP: the first error fails the restore.
  return ['-X', '-q', '-v', 'ON_ERROR_STOP=1', '-U', user, '-d', database];
}

/** The psql inside the database's own container: it matches the server that made the dump (`\restrict`). */
export async function startContainerPsql(
  containers: ContainerClient,
  config: ServiceConfig,
  database: string,
): Promise<PsqlProcess> {
  const input = new PassThrough({ highWaterMark: PSQL_INPUT_BYTES });
  const running = await containers.startExec(
    config.databaseContainer,
    ['psql', ...psqlArguments(config.user, database)],
    {
      stdin: input,
    },
  );
  const exited = running.result.then((r) => ({ exitCode: r.exitCode, stderr: r.stderr }));
  return {
    input,
    exited,
    async stop() {
      running.detach();
      for (let waited = 0; waited < 15_000; waited += 100) {
        if (!(await running.isRunning())) return true;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      return false;
    },
  };
}

/** The worker host's psql, over TCP; the password goes through the environment, never argv. */
export function startHostPsql(config: ServiceConfig, password: string, database: string): PsqlProcess {
  const child = spawn('psql', ['-h', config.host, '-p', String(config.port), ...psqlArguments(config.user, database)], {
    env: { ...process.env, PGPASSWORD: password, PGCONNECT_TIMEOUT: '10' },
    stdio: ['pipe', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString('utf8')).slice(-64 * 1024);
  });
  const exited = new Promise<{ exitCode: number; stderr: string }>((resolve) => {
    child.once('error', (err) => resolve({ exitCode: -1, stderr: `cannot run psql: ${err.message}` }));
    child.once('close', (code, signal) => resolve({ exitCode: code ?? (signal ? 128 : -1), stderr }));
  });
  return {
    input: child.stdin,
    exited,
    async stop() {
      child.stdin.destroy();
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
      return true;
    },
  };
}
