import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chown, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Client } from 'pg';
import { onCleanup } from './cleanup';
import type { OsUser } from './os-user';
import type { Major, PostgresBinaries } from './postgres-binaries';

/** The superuser of every fuzz server; the product's service role on the target server too. */
export const SUPERUSER = 'fuzz';

/** Scratch servers: durability off (nothing here outlives the run), locks for dumps of many partitions. */
const SERVER_SETTINGS = [
  'fsync=off',
  'synchronous_commit=off',
  'full_page_writes=off',
  'max_connections=60',
  'shared_buffers=32MB',
  'max_locks_per_transaction=512',
  'log_min_messages=fatal',
];

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

function runAs(user: OsUser, file: string, args: string[], env: NodeJS.ProcessEnv = {}): ChildProcess {
  return spawn(file, args, {
    uid: user.uid,
    gid: user.gid,
    env: { PATH: process.env.PATH, LC_ALL: 'C', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

function finished(child: ChildProcess, what: string): Promise<void> {
  let output = '';
  child.stdout?.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (output += d.toString()));
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`${what} exited ${code}: ${output}`))));
  });
}

/**
 * One PostgreSQL server of the downloaded binaries, as the throwaway OS user, on 127.0.0.1 and a random port,
 * its data folder in a temporary folder; stopped and removed by `stop()` or by the run's cleanup.
 */
export class PostgresServer {
  private constructor(
    readonly binaries: PostgresBinaries,
    readonly port: number,
    readonly password: string,
    private readonly process: ChildProcess,
    private readonly directory: string,
    private readonly forgetCleanup: () => void,
  ) {}

  get major(): Major {
    return this.binaries.major;
  }

  static async start(binaries: PostgresBinaries, user: OsUser): Promise<PostgresServer> {
    const directory = await mkdtemp(path.join(os.tmpdir(), `opareta-fuzz-pg${binaries.major}-`));
    await chown(directory, user.uid, user.gid);
    const data = path.join(directory, 'data');
    const password = randomBytes(12).toString('hex');
    const passwordFile = path.join(directory, 'password');
    await writeFile(passwordFile, `${password}\n`);
    await chown(passwordFile, user.uid, user.gid);
    const initdb = runAs(user, path.join(binaries.serverBin, 'initdb'), [
      '-D',
      data,
      '-U',
      SUPERUSER,
      `--pwfile=${passwordFile}`,
      '--auth-host=scram-sha-256',
      '--auth-local=trust',
      '-E',
      'UTF8',
      '--locale=C',
      '--no-sync',
    ]);
    await finished(initdb, `initdb ${binaries.major}`);
    await rm(passwordFile);
    const sockets = path.join(directory, 'sockets');
    await mkdir(sockets);
    await chown(sockets, user.uid, user.gid);

    for (let attempt = 1; ; attempt++) {
      const port = await freePort();
      const child = runAs(user, path.join(binaries.serverBin, 'postgres'), [
        '-D',
        data,
        '-p',
        String(port),
        '-c',
        'listen_addresses=127.0.0.1',
        '-c',
        `unix_socket_directories=${sockets}`,
        ...SERVER_SETTINGS.flatMap((s) => ['-c', s]),
      ]);
      let log = '';
      child.stderr?.on('data', (d: Buffer) => (log = (log + d.toString()).slice(-4000)));
      child.stdout?.resume();
      const forget = onCleanup(`PostgreSQL ${binaries.major} on port ${port}`, () => stopProcess(child, directory));
      const server = new PostgresServer(binaries, port, password, child, directory, forget);
      try {
        await server.waitUntilReady();
        return server;
      } catch (err) {
        await stopProcess(child, undefined);
        forget();
        if (attempt >= 3) {
          await rm(directory, { recursive: true, force: true });
          throw new Error(`PostgreSQL ${binaries.major} did not start: ${(err as Error).message}\n${log}`);
        }
      }
    }
  }

  private async waitUntilReady(): Promise<void> {
    const deadline = Date.now() + 60_000;
    for (;;) {
      if (this.process.exitCode !== null) throw new Error(`postgres exited ${this.process.exitCode}`);
      const client = this.client('postgres');
      try {
        await client.connect();
        await client.query('SELECT 1');
        return;
      } catch (err) {
        if (Date.now() > deadline) throw err;
        await new Promise((resolve) => setTimeout(resolve, 150));
      } finally {
        await client.end().catch(() => undefined);
      }
    }
  }

  client(database: string): Client {
    return new Client({ host: '127.0.0.1', port: this.port, user: SUPERUSER, password: this.password, database });
  }

  async query<T extends object = Record<string, unknown>>(database: string, sql: string, values?: unknown[]) {
    const client = this.client(database);
    await client.connect();
    try {
      return (await client.query<T>(sql, values)).rows;
    } finally {
      await client.end();
    }
  }

  /** Environment for this server's client tools (pg_dump, psql) as the superuser. */
  clientEnvironment(): NodeJS.ProcessEnv {
    return {
      PGHOST: '127.0.0.1',
      PGPORT: String(this.port),
      PGUSER: SUPERUSER,
      PGPASSWORD: this.password,
      PGCONNECT_TIMEOUT: '10',
    };
  }

  async stop(): Promise<void> {
    this.forgetCleanup();
    await stopProcess(this.process, this.directory);
  }
}

/** A fast shutdown (SIGINT), SIGKILL after 20 s; then the data folder goes. */
async function stopProcess(child: ChildProcess, directory: string | undefined): Promise<void> {
  if (child.exitCode === null && child.signalCode === null) {
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGINT');
    const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
    await exited;
    clearTimeout(timer);
  }
  if (directory) await rm(directory, { recursive: true, force: true });
}
