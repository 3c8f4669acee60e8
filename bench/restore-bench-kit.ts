import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readFile, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { scanBackupFile } from '../activities/backup-integrity';
import type { TableCount } from '../shared/activity-contract';
import { parseTopology, type ServiceConfig } from '../shared/node/topology';
import { peakRssMb } from './peak-rss';
import { gunzipIntoPsql } from './raw-restore';
import { dumpToFile, PASSWORD_ENV, query, type PostgresContainer } from '../test/integration/activities/helpers';

/**
 * What the restore benches share (restore.bench.ts, parallel.bench.ts): the generated dump, the raw
 * `gunzip | psql` baseline, the activity run in a child process of its own (restore-child.ts).
 */

/** The one service of the benches' topology; its backup directory is the bench's folder. */
export const SERVICE = 'bench';
export const DUMP_FILE = `bench_20240101_000000.sql.gz`;

/** Rows of `events`, from BENCH_ROWS: 10.5M make over 1 GB of SQL. */
export const ROWS = Number(process.env.BENCH_ROWS ?? 10_500_000);

export type Manifest = Awaited<ReturnType<typeof scanBackupFile>>;

/**
 * The bench data, made server-side with generate_series: a small `accounts` and an `events` of `rows` rows that
 * dominates the restore. Deterministic: the same `rows` give the same data, so dumps made on different runs match.
 */
export async function generateData(pg: PostgresContainer, rows: number): Promise<void> {
  console.log(`generating ${rows} rows server-side with generate_series...`);
  await query(
    pg,
    `CREATE TABLE accounts (id int PRIMARY KEY, name text NOT NULL);
     INSERT INTO accounts SELECT g, 'account-' || g FROM generate_series(1, 10000) g;
     CREATE TABLE events (id bigint PRIMARY KEY, account_id int NOT NULL REFERENCES accounts(id),
       payload text NOT NULL, amount_minor bigint NOT NULL, created_at timestamptz NOT NULL);
     INSERT INTO events
       SELECT g, (g % 10000) + 1, md5(g::text) || md5((g * 7)::text), g * 13 % 1000003,
              timestamptz '2024-01-01' + g * interval '1 second'
         FROM generate_series(1, ${rows}) g;`,
  );
}

/**
 * The bench dump at `file` (.sql.gz): reused when it reads clean with at least `minBytes` of SQL and `reusable`
 * agrees, else generated in `pg` and dumped. `generated` tells whether the data is now in `pg.database`.
 */
export async function ensureSqlDump(
  pg: PostgresContainer,
  file: string,
  options: { rows: number; minBytes: number; reusable?: () => Promise<boolean> },
): Promise<{ manifest: Manifest; generated: boolean }> {
  const name = path.basename(file);
  let manifest = existsSync(file) ? await scanBackupFile(file, name) : undefined;
  if (manifest && (manifest.uncompressedBytes < options.minBytes || !(await (options.reusable?.() ?? true)))) {
    await rm(file);
    manifest = undefined;
  }
  const generated = !manifest;
  if (manifest) console.log(`reusing ${file}`);
  else {
    await generateData(pg, options.rows);
    console.log('pg_dump | gzip ...');
    // Written aside and renamed: a bench killed while dumping leaves no half dump to be reused.
    await dumpToFile(pg, `${file}.partial`);
    await rename(`${file}.partial`, file);
    console.log(`dump written; this process's peak RSS so far: ${peakRssMb()} MB`);
    manifest = await scanBackupFile(file, name);
  }
  const sqlMb = manifest.uncompressedBytes / 1024 ** 2;
  console.log(`dump: ${(manifest.sizeBytes / 1024 ** 2).toFixed(0)} MB gzipped, ${sqlMb.toFixed(0)} MB of SQL`);
  if (manifest.uncompressedBytes < options.minBytes) {
    throw new Error(`the dump is under ${(options.minBytes / 1024 ** 2).toFixed(0)} MB of SQL: raise BENCH_ROWS`);
  }
  return { manifest, generated };
}

/**
 * A one-service topology on the bench's container, backups in `dir`, written to `dir`/topology.json for the
 * restore child; returned parsed too.
 */
export async function writeBenchTopology(
  pg: PostgresContainer,
  dir: string,
): Promise<{ configFile: string; config: ServiceConfig }> {
  const raw = {
    name: 'bench',
    backupRoot: dir,
    services: {
      [SERVICE]: {
        database: pg.database,
        user: pg.user,
        host: '127.0.0.1',
        port: pg.port,
        password: { env: PASSWORD_ENV },
        databaseContainer: pg.name,
        appContainers: ['opareta-acttest-none'],
        healthUrls: ['http://127.0.0.1:1/'],
        backupDirectory: '.',
      },
    },
  };
  const configFile = path.join(dir, 'topology.json');
  await writeFile(configFile, JSON.stringify(raw));
  return { configFile, config: parseTopology(raw, configFile).services[SERVICE] };
}

/** Waits for the process to exit, not for its pipes to close: helpers it spawned may hold them open. */
export function run(command: string, args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['ignore', 'inherit', 'inherit'] });
    child.on('error', reject);
    child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`${command} exited ${code}`))));
  });
}

export async function freshDatabase(pg: PostgresContainer, name: string): Promise<void> {
  await query(pg, `DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`, 'postgres');
  await query(pg, `CREATE DATABASE "${name}"`, 'postgres');
}

export async function dropDatabase(pg: PostgresContainer, name: string): Promise<void> {
  await query(pg, `DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`, 'postgres');
}

/** The runbook's `gunzip | psql` (raw-restore.ts) into a fresh database. */
export async function rawRestore(pg: PostgresContainer, file: string, database: string): Promise<number> {
  await freshDatabase(pg, database);
  return gunzipIntoPsql(file, { container: pg.name, user: pg.user, database });
}

export interface RestoreChildRequest {
  configFile: string;
  file: string;
  database: string;
  /** Where the child writes its ChildResult. */
  resultFile: string;
  jobs?: number;
  /** A heartbeats file of an earlier child: the activity starts as a retry that finds its details. */
  resumeFrom?: string;
  /** Where the child writes each heartbeat (a HeartbeatRecord), replacing the one before. */
  heartbeatsFile?: string;
}

/** What restore-child.ts writes to its result file. */
export interface ChildResult {
  seconds: number;
  maxRssMb: number;
  tables: TableCount[];
  jobs?: number;
  units?: number;
  resumedFrom?: string;
  unitsSkipped?: number;
}

/** What restore-child.ts writes to its heartbeats file at each heartbeat. */
export interface HeartbeatRecord {
  /** Epoch ms when the child called the activity, and when it heartbeat. */
  startedAt: number;
  at: number;
  /** The activity's heartbeat details, as a retried attempt would find them in its Info. */
  details: unknown;
}

/** The restore activity in a process of its own (restore-child.ts), so its peak RSS is its own. */
export function startRestoreChild(request: RestoreChildRequest): { child: ChildProcess; exited: Promise<void> } {
  const { configFile, file, database, resultFile } = request;
  const args = [path.join(__dirname, 'restore-child.ts'), configFile, SERVICE, file, database, resultFile];
  if (request.jobs !== undefined) args.push('--jobs', String(request.jobs));
  if (request.resumeFrom) args.push('--resume-from', request.resumeFrom);
  if (request.heartbeatsFile) args.push('--heartbeats', request.heartbeatsFile);
  const child = spawn(process.execPath, ['--import', 'tsx', ...args], { stdio: ['ignore', 'inherit', 'inherit'] });
  const exited = new Promise<void>((resolve, reject) => {
    child.on('error', reject);
    child.on('exit', (code, signal) =>
      code === 0 ? resolve() : reject(new Error(`restore child exited ${code ?? signal}`)),
    );
  });
  return { child, exited };
}

/** One activity restore in its child; its table counts checked against the dump's when `expected` is given. */
export async function activityRestore(request: RestoreChildRequest, expected?: TableCount[]): Promise<ChildResult> {
  await rm(request.resultFile, { force: true });
  await startRestoreChild(request).exited;
  const result = JSON.parse(await readFile(request.resultFile, 'utf8')) as ChildResult;
  if (expected && JSON.stringify(result.tables) !== JSON.stringify(expected)) {
    throw new Error(
      `activity restore counted ${JSON.stringify(result.tables)}, the dump has ${JSON.stringify(expected)}`,
    );
  }
  return result;
}

export { median } from './median';
