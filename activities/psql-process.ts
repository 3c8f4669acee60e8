import { execFile, spawn } from 'node:child_process';
import { PassThrough, Writable } from 'node:stream';
import { TailBuffer } from '../shared/node/docker/tail-buffer';
import { promisify } from 'node:util';
import type { ServiceConfig } from '../shared/node/topology';
import type { ContainerClient } from './docker';
import { errorMessage } from './errors';
import type { RestoreRole } from './restore-confinement';

/** A psql reading SQL from its standard input into one database. */
export interface PsqlProcess {
  input: Writable;
  /**
   * Resolves when psql has exited, with its exit code (-1 when it could not be learnt) and the end of its error
   * output; never rejects. That output may quote row values and keys: it goes to the worker's log only, and into
   * failures through psql-errors.ts.
   */
  exited: Promise<{ exitCode: number; stderr: string }>;
  /** Cuts psql off and resolves once it no longer runs (or after a bounded wait, with false). */
  stop(): Promise<boolean>;
}

const PSQL_INPUT_BYTES = 1024 * 1024;
/** An OS user that owns nothing in the container: not root, not `postgres`, which owns the data files. */
export const CONTAINER_PSQL_USER = 'nobody';

function psqlArguments(role: string, database: string): string[] {
  // -X: no ~/.psqlrc; -q: no "COPY n" chatter; -A -t: a SELECT prints bare values (the parallel restore's
  // acknowledgement lines); ON_ERROR_STOP: the first error fails the restore (exit 3);
  // VERBOSITY=verbose: errors carry their SQLSTATE, which tells a recurring error from a transient one;
  // -f -: standard input, with errors located as `psql:<stdin>:LINE:`.
  return [
    '-X',
    '-q',
    '-A',
    '-t',
    '-v',
    'ON_ERROR_STOP=1',
    '-v',
    'VERBOSITY=verbose',
    '-U',
    role,
    '-d',
    database,
    '-f',
    '-',
  ];
}

/**
 * The session starts as the dump reader assumes: standard strings, UTF8. The password travels in the
 * environment of the process, never in its arguments.
 */
/** What a restore connection's psql prints and how the server lists it. */
export interface PsqlOptions {
  /** Where its standard output goes (the parallel restore's acknowledgements); discarded without it. */
  stdout?: Writable;
  /** Its `application_name`, which tells the restore's sessions apart in pg_stat_activity. */
  applicationName?: string;
}

function psqlEnvironment(role: RestoreRole, applicationName?: string): string[] {
  return [
    ...(applicationName ? [`PGAPPNAME=${applicationName}`] : []),
    `PGPASSWORD=${role.password}`,
    'PGCLIENTENCODING=UTF8',
    'PGOPTIONS=-c standard_conforming_strings=on',
    'PGCONNECT_TIMEOUT=10',
  ];
}

/** The psql version inside the database's container (it matches the server that made the dump). */
export async function containerPsqlVersion(containers: ContainerClient, config: ServiceConfig): Promise<string> {
  const result = await containers.exec(config.databaseContainer, ['psql', '--version'], { user: CONTAINER_PSQL_USER });
  return result.stdout.trim();
}

export async function hostPsqlVersion(): Promise<string> {
  const { stdout } = await promisify(execFile)('psql', ['--version']);
  return stdout.trim();
}

/**
 * The psql inside the database's own container, as `nobody`, over TCP to 127.0.0.1 so that the role's
 * password is checked (a Unix socket may trust any local user).
 */
export async function startContainerPsql(
  containers: ContainerClient,
  config: ServiceConfig,
  database: string,
  role: RestoreRole,
  { stdout, applicationName }: PsqlOptions = {},
): Promise<PsqlProcess> {
  const input = new PassThrough({ highWaterMark: PSQL_INPUT_BYTES });
  const stderr = new TailBuffer(STDERR_KEEP_BYTES);
  const running = await containers.startExec(
    config.databaseContainer,
    ['psql', '-h', '127.0.0.1', ...psqlArguments(role.name, database)],
    {
      stdin: input,
      user: CONTAINER_PSQL_USER,
      env: psqlEnvironment(role, applicationName),
      output: { stdout: stdout ?? discard(), stderr },
    },
  );
  // No exit code (Docker unreachable, or psql still running 30 s after its output ended) is an exit of psql's
  // that went unseen: -1, as for a host psql that could not run, with the reason where its errors go.
  const exited = running.result.then(
    (r) => ({ exitCode: r.exitCode, stderr: stderr.text() }),
    (err: unknown) => ({ exitCode: -1, stderr: errorMessage(err) }),
  );
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

const STDERR_KEEP_BYTES = 64 * 1024;

function discard(): Writable {
  return new Writable({ write: (_chunk, _encoding, callback) => callback() });
}

/** The worker host's psql, over TCP. */
export function startHostPsql(
  config: ServiceConfig,
  role: RestoreRole,
  database: string,
  { stdout, applicationName }: PsqlOptions = {},
): PsqlProcess {
  const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: '/nonexistent' };
  for (const pair of psqlEnvironment(role, applicationName)) {
    const at = pair.indexOf('=');
    env[pair.slice(0, at)] = pair.slice(at + 1);
  }
  const child = spawn('psql', ['-h', config.host, '-p', String(config.port), ...psqlArguments(role.name, database)], {
    env,
    stdio: 'pipe',
  });
  child.stdout.pipe(stdout ?? discard());
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString('utf8')).slice(-64 * 1024);
  });
  // A psql that dies early makes writes fail with EPIPE: the exit code tells the story, not the write error.
  child.stdin.on('error', () => undefined);
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
