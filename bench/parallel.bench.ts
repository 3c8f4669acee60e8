import { existsSync, statSync } from 'node:fs';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { settings } from '../shared/node/settings';
import type { ServiceConfig } from '../shared/node/topology';
import { fingerprintDatabase, sameFingerprint, type Fingerprint } from './chaos/fingerprint';
import {
  activityRestore,
  DUMP_FILE,
  dropDatabase,
  ensureSqlDump,
  freshDatabase,
  median,
  rawRestore,
  ROWS,
  run,
  startRestoreChild,
  writeBenchTopology,
  type HeartbeatRecord,
  type Manifest,
} from './restore-bench-kit';
import {
  ensureImage,
  execText,
  removeContainers,
  startPostgres,
  type PostgresContainer,
} from '../test/integration/activities/helpers';

/**
 * The parallel restore: the activity at jobs=1, 2, 4 against the raw serial `gunzip | psql` and against
 * `pg_restore -j 1, 2, 4` of a custom-format dump of the same data, alternating; every restored database checked
 * against the raw serial one, table by table; then one restore at the best jobs SIGKILLed at 60% and resumed.
 * Last line: `parallel restore speedup=<x> jobs=<n> peak_rss_mb=<m> identical=<yes|no>`.
 * Smoke runs: BENCH_ROWS=200000 BENCH_MIN_SQL_MB=0 BENCH_ROUNDS=1.
 */
/** Rounds of every variant; the order rotates every round so drift in the machine's load hits them all alike. */
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const MIN_SQL_BYTES = Number(process.env.BENCH_MIN_SQL_MB ?? 1024) * 1024 ** 2;
const JOBS = [1, 2, 4];
/** The resume measurement kills the restore at the first heartbeat at least this far through the file. */
const KILL_AT = 0.6;
/** Its own folder: never the dump, topology or result files of restore.bench.ts (.data/bench). */
const benchDir = path.join(settings.dataDir, 'bench-parallel');
const CUSTOM_FILE = 'bench.dump';
/** Where pg_restore reads the custom dump: inside the container, so its time is pg_restore's alone. */
const CUSTOM_IN_CONTAINER = '/tmp/bench.dump';
const STAMP_FILE = 'dumps.json';

type Kind = 'raw' | 'activity' | 'pg_restore';

interface Variant {
  kind: Kind;
  jobs: number;
  label: string;
  seconds: number[];
  /** Max peak RSS of the restore children (activity only). */
  peakRssMb: number;
}

interface Bench {
  pg: PostgresContainer;
  config: ServiceConfig;
  configFile: string;
  manifest: Manifest;
  /** The raw serial restore's fingerprint: what every other restore must hold. */
  reference?: Fingerprint;
  /** Every checked restore: its label and whether it matched the reference. */
  checks: { label: string; identical: boolean }[];
}

/** Written last, after both dumps: they are reused only together and only for the same BENCH_ROWS. */
interface DumpStamp {
  rows: number;
  sqlBytes: number;
  customBytes: number;
}

function sizeOf(file: string): number | undefined {
  return existsSync(file) ? statSync(file).size : undefined;
}

async function stampMatches(): Promise<boolean> {
  const stampFile = path.join(benchDir, STAMP_FILE);
  if (!existsSync(stampFile)) return false;
  const stamp = JSON.parse(await readFile(stampFile, 'utf8')) as DumpStamp;
  return (
    stamp.rows === ROWS &&
    stamp.sqlBytes === sizeOf(path.join(benchDir, DUMP_FILE)) &&
    stamp.customBytes === sizeOf(path.join(benchDir, CUSTOM_FILE))
  );
}

/**
 * The plain .sql.gz (for the raw baseline and the activity) and the custom-format dump (for pg_restore), of the
 * same data. The custom dump is made inside the container and copied out, so a later run can reuse it; it is
 * copied into the container for pg_restore either way.
 */
async function ensureDumps(pg: PostgresContainer): Promise<Manifest> {
  const customFile = path.join(benchDir, CUSTOM_FILE);
  const { manifest, generated } = await ensureSqlDump(pg, path.join(benchDir, DUMP_FILE), {
    rows: ROWS,
    minBytes: MIN_SQL_BYTES,
    reusable: stampMatches,
  });
  if (!generated) {
    console.log(`reusing ${customFile}`);
    await run('docker', ['cp', customFile, `${pg.name}:${CUSTOM_IN_CONTAINER}`]);
    return manifest;
  }
  await rm(path.join(benchDir, STAMP_FILE), { force: true });
  console.log('pg_dump -Fc in the container ...');
  await execText(pg.name, ['pg_dump', '-U', pg.user, '-d', pg.database, '-Fc', '-f', CUSTOM_IN_CONTAINER]);
  await run('docker', ['cp', `${pg.name}:${CUSTOM_IN_CONTAINER}`, `${customFile}.partial`]);
  await rename(`${customFile}.partial`, customFile);
  const stamp: DumpStamp = {
    rows: ROWS,
    sqlBytes: sizeOf(path.join(benchDir, DUMP_FILE))!,
    customBytes: sizeOf(customFile)!,
  };
  await writeFile(path.join(benchDir, STAMP_FILE), JSON.stringify(stamp));
  console.log(`custom dump: ${(stamp.customBytes / 1024 ** 2).toFixed(0)} MB`);
  return manifest;
}

/** pg_restore as the bench runs it: inside the container, from the container's copy, into a fresh database. */
async function pgRestore(pg: PostgresContainer, database: string, jobs: number): Promise<number> {
  await freshDatabase(pg, database);
  const started = process.hrtime.bigint();
  await execText(pg.name, [
    'pg_restore',
    '-U',
    pg.user,
    '-d',
    database,
    '-j',
    String(jobs),
    '--exit-on-error',
    CUSTOM_IN_CONTAINER,
  ]);
  return Number(process.hrtime.bigint() - started) / 1e9;
}

/**
 * Compares `database` with the raw serial restore, row for row: per table, count(*) and the sum of a 60-bit hash
 * of every row's text (chaos/fingerprint.ts). A sum does not depend on the order rows come back in, and it costs
 * one sequential scan: an `md5(string_agg(... ORDER BY t::text))` would sort 10.5M rows for every check. The raw
 * serial restore's own fingerprint becomes the reference, after it is checked against the dump's row counts (two
 * restores that both lost a table must not pass as identical).
 */
async function check(bench: Bench, label: string, database: string, isReference: boolean): Promise<void> {
  const fingerprint = await fingerprintDatabase(bench.config, database);
  if (isReference) {
    for (const { table, rows } of bench.manifest.tables) {
      if (fingerprint[table]?.rows !== rows) {
        throw new Error(`the raw restore holds ${fingerprint[table]?.rows} rows of ${table}, the dump ${rows}`);
      }
    }
    bench.reference = fingerprint;
    return;
  }
  if (!bench.reference) throw new Error('a restore was checked before the raw serial restore it is compared with');
  const identical = sameFingerprint(bench.reference, fingerprint);
  if (!identical) console.log(`${label}: NOT identical to the raw serial restore: ${JSON.stringify(fingerprint)}`);
  bench.checks.push({ label, identical });
}

/** One timed restore of the variant into its own database, checked, then dropped. */
async function runVariant(bench: Bench, variant: Variant): Promise<string> {
  const database = `bench_${variant.kind}_j${variant.jobs}`;
  let seconds: number;
  let rss = '';
  if (variant.kind === 'raw') seconds = await rawRestore(bench.pg, path.join(benchDir, DUMP_FILE), database);
  else if (variant.kind === 'pg_restore') seconds = await pgRestore(bench.pg, database, variant.jobs);
  else {
    const resultFile = path.join(benchDir, 'child-result.json');
    const request = { configFile: bench.configFile, file: DUMP_FILE, database, resultFile, jobs: variant.jobs };
    const result = await activityRestore(request, bench.manifest.tables);
    seconds = result.seconds;
    variant.peakRssMb = Math.max(variant.peakRssMb, result.maxRssMb);
    rss = ` (RSS ${result.maxRssMb} MB)`;
  }
  variant.seconds.push(seconds);
  // The raw serial restore is checked once, to become the reference; every other restore, every time.
  const isReference = variant.kind === 'raw';
  if (!isReference || !bench.reference) await check(bench, variant.label, database, isReference);
  await dropDatabase(bench.pg, database);
  return `${variant.label} ${seconds.toFixed(2)} s${rss}`;
}

/**
 * Round r starts (r-1) * ceil(n / ROUNDS) places further along the list, so each variant runs early, midway and
 * late over the rounds. Round 1 starts with the raw restore, whose fingerprint the others are checked against.
 */
function roundOrder<T>(variants: T[], round: number): T[] {
  const shift = ((round - 1) * Math.ceil(variants.length / ROUNDS)) % variants.length;
  return [...variants.slice(shift), ...variants.slice(0, shift)];
}

async function readRecord(file: string): Promise<HeartbeatRecord | undefined> {
  return existsSync(file) ? (JSON.parse(await readFile(file, 'utf8')) as HeartbeatRecord) : undefined;
}

/** How far through the file a heartbeat says the restore is: bytesDone / bytesTotal of its details. */
function fractionOf(record: HeartbeatRecord | undefined): number | undefined {
  const details = record?.details as { bytesDone?: unknown; bytesTotal?: unknown } | undefined;
  if (typeof details?.bytesDone !== 'number' || typeof details.bytesTotal !== 'number') return undefined;
  return details.bytesTotal > 0 ? details.bytesDone / details.bytesTotal : undefined;
}

/**
 * Starts a restore child that writes its heartbeats to `heartbeatsFile` and SIGKILLs it at the first heartbeat that
 * says KILL_AT of the file is done: a worker lost mid-restore. Returns when it was killed, or undefined when it
 * finished first.
 */
async function restoreUntilKilled(bench: Bench, database: string, jobs: number, heartbeatsFile: string) {
  const resultFile = path.join(benchDir, 'child-result.json');
  const request = { configFile: bench.configFile, file: DUMP_FILE, database, resultFile, jobs, heartbeatsFile };
  const { child, exited } = startRestoreChild(request);
  let ended = undefined as 'finished' | Error | undefined;
  void exited.then(
    () => (ended = 'finished'),
    (err: Error) => (ended = err),
  );
  for (;;) {
    if (ended === 'finished') return undefined;
    if (ended) throw ended;
    const fraction = fractionOf(await readRecord(heartbeatsFile));
    if (fraction !== undefined && fraction >= KILL_AT) {
      child.kill('SIGKILL');
      const killedAt = Date.now();
      // Exited 0 after all: it finished between the heartbeat and the kill.
      const finished = await exited.then(
        () => true,
        () => false,
      );
      return finished ? undefined : { killedAt, fraction };
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/**
 * One restore at `jobs` killed at 60%, then a new child that finds the last heartbeat's details, as a retried
 * attempt would, in the killed one's side database (left in place: that is what it resumes). Its result is
 * checked like every other restore.
 */
async function measureResume(bench: Bench, best: Variant): Promise<void> {
  const database = 'bench_resume';
  const heartbeatsFile = path.join(benchDir, 'heartbeats.json');
  await rm(heartbeatsFile, { force: true });
  await dropDatabase(bench.pg, database);
  const killed = await restoreUntilKilled(bench, database, best.jobs, heartbeatsFile);
  if (!killed) {
    console.log(`resume after kill at 60%: not measured, the restore finished before a heartbeat said 60%`);
    await dropDatabase(bench.pg, database);
    return;
  }
  const last = (await readRecord(heartbeatsFile))!;
  const first = (killed.killedAt - last.startedAt) / 1000;
  console.log(`killed the jobs=${best.jobs} restore at ${(killed.fraction * 100).toFixed(0)}% of the file`);
  const resultFile = path.join(benchDir, 'child-result.json');
  const request = { configFile: bench.configFile, file: DUMP_FILE, database, resultFile, jobs: best.jobs };
  // Its tables are not compared with the dump's: a resumed attempt may count only what it loaded itself.
  const resumed = await activityRestore({ ...request, resumeFrom: heartbeatsFile });
  await check(bench, `resumed jobs=${best.jobs}`, database, false);
  const identical = bench.checks[bench.checks.length - 1].identical ? 'yes' : 'no';
  console.log(`resumed restore identical to the raw serial restore: ${identical}`);
  await dropDatabase(bench.pg, database);
  const uninterrupted = median(best.seconds);
  const total = first + resumed.seconds;
  const from = resumed.resumedFrom === undefined ? '-' : JSON.stringify(resumed.resumedFrom);
  console.log(
    `resume after kill at 60%: first=${first.toFixed(2)} resumed=${resumed.seconds.toFixed(2)} ` +
      `total=${total.toFixed(2)} uninterrupted=${uninterrupted.toFixed(2)} ratio=${(total / uninterrupted).toFixed(2)} ` +
      `resumedFrom=${from} unitsSkipped=${resumed.unitsSkipped ?? '-'}`,
  );
}

function report(variants: Variant[], bench: Bench): void {
  const raw = median(variants.find((v) => v.kind === 'raw')!.seconds);
  console.log('median wall, speedup over raw:');
  for (const v of variants) {
    const m = median(v.seconds);
    const rss = v.kind === 'activity' ? `, peak RSS ${v.peakRssMb} MB` : '';
    const checks = bench.checks.filter((c) => c.label === v.label);
    const identical = checks.length ? `, identical ${checks.filter((c) => c.identical).length}/${checks.length}` : '';
    console.log(`  ${v.label.padEnd(18)} ${m.toFixed(2).padStart(8)} s  ${(raw / m).toFixed(2)}x${rss}${identical}`);
  }
}

async function main(): Promise<void> {
  await ensureImage();
  await mkdir(benchDir, { recursive: true });
  const pg = await startPostgres('bench-parallel', 'bench', 'bench_db');
  try {
    const manifest = await ensureDumps(pg);
    const { configFile, config } = await writeBenchTopology(pg, benchDir);
    const bench: Bench = { pg, config, configFile, manifest, checks: [] };
    const variant = (kind: Kind, jobs: number, label: string): Variant => ({
      kind,
      jobs,
      label,
      seconds: [],
      peakRssMb: 0,
    });
    const variants = [
      variant('raw', 1, 'raw gunzip|psql'),
      ...JOBS.map((jobs) => variant('activity', jobs, `activity jobs=${jobs}`)),
      ...JOBS.map((jobs) => variant('pg_restore', jobs, `pg_restore -j ${jobs}`)),
    ];
    for (let round = 1; round <= ROUNDS; round++) {
      const lines: string[] = [];
      for (const v of roundOrder(variants, round)) lines.push(await runVariant(bench, v));
      console.log(`round ${round}: ${lines.join(', ')}`);
    }
    report(variants, bench);
    const activities = variants.filter((v) => v.kind === 'activity');
    const best = activities.reduce((a, b) => (median(b.seconds) < median(a.seconds) ? b : a));
    await measureResume(bench, best);
    const speedup = median(variants.find((v) => v.kind === 'raw')!.seconds) / median(best.seconds);
    const identical = bench.checks.every((c) => c.identical) ? 'yes' : 'no';
    console.log(
      `parallel restore speedup=${speedup.toFixed(2)} jobs=${best.jobs} peak_rss_mb=${best.peakRssMb} identical=${identical}`,
    );
  } finally {
    await removeContainers([pg.name]);
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
