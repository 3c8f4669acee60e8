import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { scanBackupFile } from '../activities/backup-integrity';
import type { TableCount } from '../shared/activity-contract';
import { settings } from '../shared/node/settings';
import { peakRssMb } from './peak-rss';
import {
  dumpToFile,
  ensureImage,
  PASSWORD_ENV,
  query,
  removeContainers,
  startPostgres,
  type PostgresContainer,
} from '../test/integration/activities/helpers';

/**
 * The restore activity against the raw `gunzip -c FILE | docker exec -i C psql` pipeline, alternating, on a dump of
 * at least 1 GB of SQL generated server-side. Last line: `restore overhead ratio=<x.xx> peak_rss_mb=<n>`.
 */
/** Rounds of each; the order flips every round so drift in the machine's load hits both sides alike. */
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const ROWS = Number(process.env.BENCH_ROWS ?? 10_500_000);
const MIN_SQL_BYTES = 1024 ** 3;
const SERVICE = 'bench';
const FILE = `bench_20240101_000000.sql.gz`;
const benchDir = path.join(settings.dataDir, 'bench');

async function makeDump(pg: PostgresContainer, file: string): Promise<void> {
  console.log(`generating ${ROWS} rows server-side with generate_series...`);
  await query(
    pg,
    `CREATE TABLE accounts (id int PRIMARY KEY, name text NOT NULL);
     INSERT INTO accounts SELECT g, 'account-' || g FROM generate_series(1, 10000) g;
     CREATE TABLE events (id bigint PRIMARY KEY, account_id int NOT NULL REFERENCES accounts(id),
       payload text NOT NULL, amount_minor bigint NOT NULL, created_at timestamptz NOT NULL);
     INSERT INTO events
       SELECT g, (g % 10000) + 1, md5(g::text) || md5((g * 7)::text), g * 13 % 1000003,
              timestamptz '2024-01-01' + g * interval '1 second'
         FROM generate_series(1, ${ROWS}) g;`,
  );
  console.log('pg_dump | gzip ...');
  await dumpToFile(pg, `${file}.partial`);
  await rename(`${file}.partial`, file);
  console.log(`dump written; this process's peak RSS so far: ${peakRssMb()} MB`);
}

/** Waits for the process to exit, not for its pipes to close: helpers it spawned may hold them open. */
function run(command: string, args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['ignore', 'inherit', 'inherit'] });
    child.on('error', reject);
    child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`${command} exited ${code}`))));
  });
}

async function freshDatabase(pg: PostgresContainer, name: string): Promise<void> {
  await query(pg, `DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`, 'postgres');
  await query(pg, `CREATE DATABASE "${name}"`, 'postgres');
}

/** gunzip's stdout is handed to docker's stdin as a file descriptor: nothing of ours in between. */
async function rawRestore(pg: PostgresContainer, file: string, database: string): Promise<number> {
  await freshDatabase(pg, database);
  const started = process.hrtime.bigint();
  const gunzip = spawn('gunzip', ['-c', file], { stdio: ['ignore', 'pipe', 'inherit'] });
  const psql = spawn(
    'docker',
    ['exec', '-i', pg.name, 'psql', '-X', '-q', '-v', 'ON_ERROR_STOP=1', '-U', pg.user, '-d', database],
    { stdio: [gunzip.stdout, 'ignore', 'inherit'] },
  );
  const [gunzipCode, psqlCode] = await Promise.all(
    // 'exit', not 'close': gunzip's stdout also stays open in this process, unread, and would never close.
    [gunzip, psql].map((child) => new Promise<number | null>((resolve) => child.on('exit', resolve))),
  );
  if (gunzipCode !== 0 || psqlCode !== 0) throw new Error(`raw restore failed: gunzip ${gunzipCode}, psql ${psqlCode}`);
  return Number(process.hrtime.bigint() - started) / 1e9;
}

async function activityRestore(configFile: string, database: string, expected: TableCount[]) {
  const resultFile = path.join(benchDir, 'child-result.json');
  await rm(resultFile, { force: true });
  const child = path.join(__dirname, 'restore-child.ts');
  await run(process.execPath, ['--import', 'tsx', child, configFile, SERVICE, FILE, database, resultFile]);
  const result = JSON.parse(await readFile(resultFile, 'utf8')) as {
    seconds: number;
    maxRssMb: number;
    tables: TableCount[];
  };
  if (JSON.stringify(result.tables) !== JSON.stringify(expected)) {
    throw new Error(
      `activity restore counted ${JSON.stringify(result.tables)}, the dump has ${JSON.stringify(expected)}`,
    );
  }
  return result;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

async function main(): Promise<void> {
  await ensureImage();
  await mkdir(benchDir, { recursive: true });
  const file = path.join(benchDir, FILE);
  const pg = await startPostgres('bench', 'bench', 'bench_db');
  try {
    let manifest = existsSync(file) ? await scanBackupFile(file, FILE) : undefined;
    if (manifest && manifest.uncompressedBytes < MIN_SQL_BYTES) {
      await rm(file);
      manifest = undefined;
    }
    if (manifest) console.log(`reusing ${file}`);
    else {
      await makeDump(pg, file);
      manifest = await scanBackupFile(file, FILE);
    }
    const sqlGb = manifest.uncompressedBytes / 1024 ** 3;
    console.log(`dump: ${(manifest.sizeBytes / 1024 ** 2).toFixed(0)} MB gzipped, ${sqlGb.toFixed(2)} GB of SQL`);
    if (manifest.uncompressedBytes < MIN_SQL_BYTES) throw new Error('the dump is under 1 GB of SQL: raise BENCH_ROWS');

    const configFile = path.join(benchDir, 'topology.json');
    await writeFile(
      configFile,
      JSON.stringify({
        name: 'bench',
        backupRoot: benchDir,
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
      }),
    );

    const raw: number[] = [];
    const activity: number[] = [];
    let peakRssMb = 0;
    const runActivity = async () => {
      const result = await activityRestore(configFile, 'bench_activity', manifest.tables);
      await query(pg, 'DROP DATABASE bench_activity', 'postgres');
      activity.push(result.seconds);
      peakRssMb = Math.max(peakRssMb, result.maxRssMb);
      return `activity ${result.seconds.toFixed(2)} s (max RSS ${result.maxRssMb} MB)`;
    };
    const runRaw = async () => {
      const seconds = await rawRestore(pg, file, 'bench_raw');
      await query(pg, 'DROP DATABASE bench_raw', 'postgres');
      raw.push(seconds);
      return `raw ${seconds.toFixed(2)} s`;
    };
    for (let round = 1; round <= ROUNDS; round++) {
      const order = round % 2 === 1 ? [runActivity, runRaw] : [runRaw, runActivity];
      const lines: string[] = [];
      for (const step of order) lines.push(await step());
      console.log(`round ${round}: ${lines.join(', ')}`);
    }
    const ratio = median(activity) / median(raw);
    console.log(`median wall: activity ${median(activity).toFixed(2)} s, raw ${median(raw).toFixed(2)} s`);
    console.log(`restore overhead ratio=${ratio.toFixed(2)} peak_rss_mb=${peakRssMb}`);
  } finally {
    await removeContainers([pg.name]);
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
