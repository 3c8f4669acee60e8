import { TEMPLATE1_SETUP_SQL } from '../../../shared/node/server-setup';
import { MockActivityEnvironment } from '@temporalio/testing';
import { DefaultLogger } from '@temporalio/worker';
import { randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import { Client } from 'pg';
import { ensureSandboxImages } from '../../../sandbox/images';
import { docker as sharedDocker, execInContainer, execOrThrow, inspectContainer } from '../../../shared/node/docker';
import { parseTopology, type Topology } from '../../../shared/node/topology';

/** Every container these tests make starts with this prefix and is removed afterwards. */
export const CONTAINER_PREFIX = 'opareta-acttest-';
export const IMAGE = 'opareta-sandbox-postgres:15';
export const PASSWORD_ENV = 'OPARETA_ACTTEST_DB_PASSWORD';
export const PASSWORD = `acttest-${randomBytes(6).toString('hex')}`;
process.env[PASSWORD_ENV] = PASSWORD;

/** The shared Docker module's client, for what only tests do (pause, remove, top). */
export const docker = sharedDocker();

export interface PostgresContainer {
  name: string;
  port: number;
  user: string;
  database: string;
}

function containerName(label: string): string {
  return `${CONTAINER_PREFIX}${label}-${randomBytes(3).toString('hex')}`;
}

/** A throwaway PostgreSQL 15 on a random port of 127.0.0.1; durability off, these databases are scratch. */
export async function startPostgres(label: string, user = 'shop', database = 'shop_db'): Promise<PostgresContainer> {
  const name = containerName(label);
  const container = await docker.createContainer({
    name,
    Image: IMAGE,
    Env: [`POSTGRES_USER=${user}`, `POSTGRES_PASSWORD=${PASSWORD}`, `POSTGRES_DB=${database}`],
    Cmd: ['postgres', '-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off'],
    ExposedPorts: { '5432/tcp': {} },
    HostConfig: { PortBindings: { '5432/tcp': [{ HostIp: '127.0.0.1', HostPort: '' }] }, Init: true },
  });
  await container.start();
  const info = await inspectContainer(name);
  const port = Number(info.NetworkSettings.Ports['5432/tcp'][0].HostPort);
  const pg = { name, port, user, database };
  await waitForPostgres(pg);
  // As `opareta-dr setup-roles` does on a real server: amcheck for the unprivileged checks of restored databases.
  await query(pg, TEMPLATE1_SETUP_SQL, 'template1');
  return pg;
}

async function waitForPostgres(pg: PostgresContainer): Promise<void> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const client = connect(pg);
    try {
      await client.connect();
      await client.query('SELECT 1');
      return;
    } catch (err) {
      if (Date.now() > deadline) throw new Error(`${pg.name} did not accept connections: ${(err as Error).message}`);
      await new Promise((resolve) => setTimeout(resolve, 300));
    } finally {
      await client.end().catch(() => undefined);
    }
  }
}

export function connect(pg: PostgresContainer, database = pg.database): Client {
  return new Client({ host: '127.0.0.1', port: pg.port, user: pg.user, password: PASSWORD, database });
}

export async function query<T extends object = Record<string, unknown>>(
  pg: PostgresContainer,
  sql: string,
  database = pg.database,
): Promise<T[]> {
  const client = connect(pg, database);
  await client.connect();
  try {
    return (await client.query<T>(sql)).rows;
  } finally {
    await client.end();
  }
}

export interface AppContainerOptions {
  /** true: a healthcheck that passes; 'failing': one that always fails (the container turns unhealthy). */
  healthcheck?: boolean | 'failing';
  composeService?: string;
  /** Lines the container prints at start, as its log. */
  logLines?: string[];
}

/** A tiny "app": sleeps, prints its log lines, optionally with a healthcheck and a compose service label. */
export async function startApp(label: string, options: AppContainerOptions = {}): Promise<string> {
  const name = containerName(label);
  const container = await docker.createContainer({
    name,
    Image: IMAGE,
    Entrypoint: ['bash', '-c', 'printf "%s\\n" "$@"; exec sleep infinity', 'app', ...(options.logLines ?? [])],
    Cmd: [],
    Labels: options.composeService ? { 'com.docker.compose.service': options.composeService } : {},
    Healthcheck: options.healthcheck
      ? {
          Test: ['CMD', options.healthcheck === 'failing' ? 'false' : 'true'],
          Interval: 500_000_000,
          Timeout: 2_000_000_000,
          Retries: 3,
          StartPeriod: 0,
        }
      : undefined,
    HostConfig: { Init: true },
  });
  await container.start();
  return name;
}

export async function removeContainers(names: string[]): Promise<void> {
  await Promise.all(
    names
      .filter((n) => n.startsWith(CONTAINER_PREFIX))
      .map((n) =>
        docker
          .getContainer(n)
          .remove({ force: true, v: true })
          .catch(() => undefined),
      ),
  );
}

/** Runs a command in a container and returns its stdout; throws with stderr on a non-zero exit. */
export function execText(container: string, cmd: string[]): Promise<string> {
  return execOrThrow(container, cmd, { keepOutputBytes: 16 * 1024 * 1024 });
}

/** `pg_dump | gzip > directory/file` with the container's own pg_dump 15 (which writes `\restrict` lines). */
export async function dumpToFile(pg: PostgresContainer, file: string, extraArgs: string[] = []): Promise<void> {
  // The dump is paused while gzip and the file lag behind: a 1 GB dump never piles up in memory.
  const stdout = new PassThrough({ highWaterMark: 1 << 20 });
  const stderr = new PassThrough().resume();
  const written = pipeline(stdout, createGzip({ level: 1 }), createWriteStream(file));
  const dumped = execInContainer(pg.name, ['pg_dump', '-U', pg.user, '-d', pg.database, ...extraArgs], {
    output: { stdout, stderr },
  }).finally(() => stdout.end());
  const [{ exitCode }] = await Promise.all([dumped, written]);
  if (exitCode !== 0) throw new Error(`pg_dump in ${pg.name} exited ${exitCode}`);
}

export async function tempDirectory(label: string): Promise<{ path: string; remove(): Promise<void> }> {
  const dir = await mkdtemp(path.join(os.tmpdir(), `opareta-acttest-${label}-`));
  return { path: dir, remove: () => rm(dir, { recursive: true, force: true }) };
}

export interface TopologyParts {
  service?: string;
  pg: PostgresContainer;
  backupDirectory: string;
  appContainers?: string[];
  healthUrls?: string[];
  verification?: unknown[];
  /** The role the worker connects as (same password as the service's here); unset: the service's role. */
  operator?: string;
}

/** A one-service topology pointing at the test's own containers and backup directory. */
export function testTopology(parts: TopologyParts): Topology {
  const service = parts.service ?? 'shop';
  return parseTopology({
    name: 'acttest',
    backupRoot: parts.backupDirectory,
    sandbox: true,
    services: {
      [service]: {
        database: parts.pg.database,
        user: parts.pg.user,
        host: '127.0.0.1',
        port: parts.pg.port,
        password: { env: PASSWORD_ENV },
        databaseContainer: parts.pg.name,
        appContainers: parts.appContainers ?? [`${CONTAINER_PREFIX}none`],
        healthUrls: parts.healthUrls ?? ['http://127.0.0.1:9/health'],
        backupDirectory: '.',
        verification: parts.verification ?? [],
        ...(parts.operator ? { operator: { user: parts.operator, password: { env: PASSWORD_ENV } } } : {}),
      },
    },
  });
}

/** A mock activity context that only prints errors (expected failures would flood the output). */
export function activityEnvironment(): MockActivityEnvironment {
  return new MockActivityEnvironment(undefined, { logger: new DefaultLogger('ERROR') });
}

/** Runs an activity function inside a mock Temporal activity context (heartbeats, cancellation, logger). */
export function inActivity<T>(fn: () => Promise<T>, env = activityEnvironment()): Promise<T> {
  return env.run(fn);
}

/** The error type of a rejected activity call, with (non-retryable) appended when so marked. */
export function failureOf(promise: Promise<unknown>): Promise<string> {
  return promise.then(
    () => 'resolved',
    (err: { type?: string; nonRetryable?: boolean; message?: string }) =>
      `${err.type ?? 'Error'}${err.nonRetryable ? ' (non-retryable)' : ''}`,
  );
}

/** The sandbox image, built from Debian packages by the sandbox module when missing (once, about a minute). */
export async function ensureImage(): Promise<void> {
  await ensureSandboxImages({ noPull: true, log: () => undefined });
}

/**
 * A dump shaped like pg_dump's, one table of `rows` rows, gzipped while written: big files without a server.
 * `holdAfterRows`: the COPY block ends there and `SELECT pg_catalog.pg_sleep(holdSeconds)` follows before the rest
 * of the rows, a gate that holds a restore half-way on any machine, however fast (until a test cancels it, or for
 * the seconds a test watches it there).
 */
export async function writeSyntheticDump(
  file: string,
  rows: number,
  table = 'public.events',
  holdAfterRows?: number,
  holdSeconds = 3600,
): Promise<void> {
  const gzip = createGzip({ level: 1 });
  const done = pipeline(gzip, createWriteStream(file));
  const write = async (text: string) => {
    if (!gzip.write(text)) await new Promise((resolve) => gzip.once('drain', resolve));
  };
  await write(
    '--\n-- PostgreSQL database dump\n--\n\n-- Dumped from database version 15.18\n-- Dumped by pg_dump version 15.18\n\n' +
      `CREATE TABLE ${table} (id bigint NOT NULL, payload text, amount_minor bigint);\n\n` +
      `COPY ${table} (id, payload, amount_minor) FROM stdin;\n`,
  );
  const batch = 10_000;
  for (let start = 1; start <= rows; start += batch) {
    let text = '';
    for (let id = start; id < Math.min(start + batch, rows + 1); id++) {
      text += `${id}\tpayload-${id}-abcdefghijklmnopqrstuvwxyz0123456789\t${id * 7}\n`;
      if (id === holdAfterRows) {
        text +=
          `\\.\n\nSELECT pg_catalog.pg_sleep(${holdSeconds});\n\n` +
          `COPY ${table} (id, payload, amount_minor) FROM stdin;\n`;
      }
    }
    await write(text);
  }
  await write('\\.\n\n--\n-- PostgreSQL database dump complete\n--\n\n');
  gzip.end();
  await done;
}

/** Processes inside a container whose command line mentions `word`, as `docker top` sees them. */
export async function processesMatching(container: string, word: string): Promise<string[]> {
  const top = await docker.getContainer(container).top({ ps_args: '-eo pid,args' });
  return ((top.Processes ?? []) as string[][]).map((p) => p.join(' ')).filter((line) => line.includes(word));
}
