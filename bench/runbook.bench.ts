import path from 'node:path';
import type { WorkflowHandle } from '@temporalio/client';
import type { Workflow, WorkflowResultType } from '@temporalio/common';
import type { BackupResult } from '../sandbox';
import { quoteIdentifier } from '../activities/postgres';
import { getService } from '../shared/node/topology';
import type { ServiceRestoreReport } from '../shared/workflow-types';
import { fullSystemRestore, restoreDatabase } from '../workflows';
import { onBenchStack, type BenchStack } from './bench-stack';
import { databasesOf, dropDatabaseForce, withDatabase } from './chaos/db';
import { activitySeconds } from './downtime/swap-steps';
import { median } from './median';
import { gunzipIntoPsql } from './raw-restore';

/**
 * The product against the runbook it automates, end to end, on the bench stack (bench/bench-stack.ts: the
 * `opareta-bench-*` containers, a Temporal dev server of its own, the real worker). Both services are grown to
 * BENCH_SCALE (150: about 1 GB of plain SQL in all) and backed up once; then BENCH_ROUNDS (3) rounds, the order
 * flipped every round, of:
 * - the runbook's way: `gunzip -c FILE | docker exec -i C psql -X -q -v ON_ERROR_STOP=1 -U USER -d DB` of the
 *   argus backup into a fresh empty database (created before the clock starts), then the same for hermes;
 * - the product's way: `restoreDatabase {"service":"argus"}` (latest backup, swap mode, no approval in the bench
 *   topology), then `fullSystemRestore {}`: verification and swap included, timed from the workflow's start to
 *   its close as the server recorded them.
 * Before each timed run both servers take a CHECKPOINT, and after it the bench drops what it left (the raw
 * database, the `_pre_restore_` copies), outside the clock. Last line (medians):
 * `runbook restore ratio=<restoreDatabase/raw argus> full_system_ratio=<fullSystemRestore/(raw argus + raw hermes)> scale=<n>`.
 */
const SCALE = Number(process.env.BENCH_SCALE ?? 150);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
/** The single-database comparison's service (the runbook's Quick Restore example). */
const SERVICE = 'argus';
const RAW_DATABASE = 'opareta_runbook_raw';
const WORKFLOW_TIMEOUT = '60m' as const;
const TARGET_RATIO = 1.0;

const log = (line: string) => console.log(line);

interface Round {
  /** The runbook's pipeline, per service. */
  raw: Record<string, number>;
  restoreDatabase: TimedWorkflow;
  fullSystemRestore: TimedWorkflow;
}

interface TimedWorkflow {
  seconds: number;
  /** Activity types by their time, the slowest service's (downtime/swap-steps.ts). */
  activities: [string, number][];
  services: ServiceRestoreReport[];
}

const seconds = (value: number) => (Number.isFinite(value) ? value.toFixed(1) : '-');

/** Both servers write their dirty pages out now, so no run pays for the previous run's checkpoint. */
async function checkpoint(stack: BenchStack): Promise<void> {
  for (const service of stack.services) {
    await withDatabase(getService(stack.topology, service), 'postgres', (client) => client.query('CHECKPOINT'));
  }
}

async function rawRestore(stack: BenchStack, backup: BackupResult): Promise<number> {
  const config = getService(stack.topology, backup.service);
  const database = quoteIdentifier(RAW_DATABASE);
  await dropDatabaseForce(config, RAW_DATABASE);
  await withDatabase(config, 'postgres', (client) => client.query(`CREATE DATABASE ${database}`));
  await checkpoint(stack);
  try {
    return await gunzipIntoPsql(backup.file, {
      container: config.databaseContainer,
      user: config.user,
      database: RAW_DATABASE,
    });
  } finally {
    await dropDatabaseForce(config, RAW_DATABASE);
  }
}

/** Waits for the workflow's result; its time is the server's close time minus its start time. */
async function timeWorkflow<W extends Workflow>(
  stack: BenchStack,
  handle: WorkflowHandle<W>,
  servicesOf: (result: WorkflowResultType<W>) => ServiceRestoreReport[],
): Promise<TimedWorkflow> {
  stack.running = handle;
  const result = await handle.result();
  stack.running = undefined;
  const description = await handle.describe();
  if (!description.closeTime) throw new Error(`${handle.workflowId} has no close time`);
  return {
    seconds: (description.closeTime.getTime() - description.startTime.getTime()) / 1000,
    activities: activitySeconds(await handle.fetchHistory()),
    services: servicesOf(result),
  };
}

/** The workflow must have restored and swapped in exactly the backups the bench took, and nothing else. */
function checkRestored(name: string, services: ServiceRestoreReport[], backups: BackupResult[]): void {
  if (services.length !== backups.length) throw new Error(`${name} restored ${services.length} service(s)`);
  for (const report of services) {
    const expected = backups.find((b) => b.service === report.service);
    if (report.outcome !== 'restored') throw new Error(`${name} of ${report.service} ended ${report.outcome}`);
    if (!expected || path.basename(expected.file) !== report.backup?.file) {
      throw new Error(`${name} restored ${report.backup?.file ?? 'nothing'} of ${report.service}, not the bench's`);
    }
  }
}

/** Drops the `_pre_restore_` (and any other) copies a restore kept beside the live databases: disk, not time. */
async function dropRestoreCopies(stack: BenchStack): Promise<void> {
  for (const service of stack.services) {
    const config = getService(stack.topology, service);
    for (const database of await databasesOf(config)) {
      if (database !== config.database) await dropDatabaseForce(config, database);
    }
  }
}

/** restoreDatabase of SERVICE (`single`) or fullSystemRestore {} (`full`), timed and checked. */
async function runWorkflow(
  stack: BenchStack,
  round: number,
  backups: BackupResult[],
  kind: 'single' | 'full',
): Promise<TimedWorkflow> {
  await checkpoint(stack);
  const options = {
    taskQueue: stack.taskQueue,
    workflowId: `bench-runbook-${kind}-round${round}-${process.pid}-${Date.now()}`,
    workflowExecutionTimeout: WORKFLOW_TIMEOUT,
  };
  let timed: TimedWorkflow;
  const name = kind === 'single' ? `${restoreDatabase.name} ${SERVICE}` : `${fullSystemRestore.name} {}`;
  log(`bench: round ${round}: ${name} ...`);
  if (kind === 'single') {
    const handle = await stack.client.workflow.start(restoreDatabase, { ...options, args: [{ service: SERVICE }] });
    timed = await timeWorkflow(stack, handle, (result) => [result]);
    checkRestored(restoreDatabase.name, timed.services, [backupOf(backups, SERVICE)]);
  } else {
    const handle = await stack.client.workflow.start(fullSystemRestore, { ...options, args: [{}] });
    timed = await timeWorkflow(stack, handle, (result) => result.services);
    checkRestored(fullSystemRestore.name, timed.services, backups);
  }
  const parts = timed.services.map(
    (s) =>
      `${s.service} restore ${seconds(s.restoreSeconds ?? NaN)} s, downtime ${seconds(s.downtimeSeconds ?? NaN)} s`,
  );
  log(`bench: round ${round}: ${name}: ${timed.seconds.toFixed(1)} s (${parts.join('; ')})`);
  await dropRestoreCopies(stack);
  return timed;
}

function backupOf(backups: BackupResult[], service: string): BackupResult {
  const backup = backups.find((b) => b.service === service);
  if (!backup) throw new Error(`no backup of ${service}`);
  return backup;
}

async function measureRound(stack: BenchStack, round: number, backups: BackupResult[]): Promise<Round> {
  const raw: Record<string, number> = {};
  const runRaw = async () => {
    // The runbook's Full System Restore: argus, then hermes, one after the other.
    for (const backup of backups) {
      raw[backup.service] = await rawRestore(stack, backup);
      log(`bench: round ${round}: raw gunzip | psql of ${backup.service}: ${raw[backup.service].toFixed(1)} s`);
    }
  };
  let single: TimedWorkflow | undefined;
  let full: TimedWorkflow | undefined;
  const runWorkflows = async () => {
    single = await runWorkflow(stack, round, backups, 'single');
    full = await runWorkflow(stack, round, backups, 'full');
  };
  for (const step of round % 2 === 1 ? [runRaw, runWorkflows] : [runWorkflows, runRaw]) await step();
  return { raw, restoreDatabase: single!, fullSystemRestore: full! };
}

function rawAll(round: Round): number {
  return Object.values(round.raw).reduce((sum, s) => sum + s, 0);
}

/** Median seconds of each activity type over the rounds, largest first, the first `count`. */
function activityMedians(runs: TimedWorkflow[], count = 6): string {
  const types = [...new Set(runs.flatMap((r) => r.activities.map(([type]) => type)))];
  return types
    .map((type) => [type, median(runs.map((r) => r.activities.find(([t]) => t === type)?.[1] ?? 0))] as const)
    .sort((a, b) => b[1] - a[1])
    .slice(0, count)
    .map(([type, s]) => `${type} ${seconds(s)}`)
    .join(', ');
}

function report(rounds: Round[], backups: BackupResult[], sqlBytes: Record<string, number>): void {
  const MB = 1024 * 1024;
  const rawSingle = median(rounds.map((r) => r.raw[SERVICE]));
  const rawFull = median(rounds.map(rawAll));
  const single = median(rounds.map((r) => r.restoreDatabase.seconds));
  const full = median(rounds.map((r) => r.fullSystemRestore.seconds));
  const range = (values: number[]) => `${seconds(Math.min(...values))}–${seconds(Math.max(...values))}`;
  console.log('');
  for (const b of backups) {
    const sql = sqlBytes[b.service] ? `${(sqlBytes[b.service] / MB).toFixed(1)} MB of SQL, ` : '';
    console.log(`${b.service}: ${path.basename(b.file)}, ${sql}${(b.bytes / MB).toFixed(1)} MB gzipped`);
  }
  console.log(`medians of ${rounds.length} round(s), (min–max):`);
  console.log(
    `  raw gunzip | psql of ${SERVICE}: ${seconds(rawSingle)} s (${range(rounds.map((r) => r.raw[SERVICE]))})`,
  );
  console.log(
    `  raw of ${backups.map((b) => b.service).join(' then ')}: ${seconds(rawFull)} s (${range(rounds.map(rawAll))})`,
  );
  const workflowLine = (name: string, runs: TimedWorkflow[], value: number, base: number) =>
    `  ${name}: ${seconds(value)} s (${range(runs.map((r) => r.seconds))}), ${(value / base).toFixed(2)}x ` +
    `the runbook (target <= ${TARGET_RATIO.toFixed(1)}x); activities: ${activityMedians(runs)}`;
  console.log(
    workflowLine(
      `${restoreDatabase.name} ${SERVICE}`,
      rounds.map((r) => r.restoreDatabase),
      single,
      rawSingle,
    ),
  );
  console.log(
    workflowLine(
      fullSystemRestore.name,
      rounds.map((r) => r.fullSystemRestore),
      full,
      rawFull,
    ),
  );
  console.log('');
  console.log(
    `runbook restore ratio=${(single / rawSingle).toFixed(2)} full_system_ratio=${(full / rawFull).toFixed(2)} scale=${SCALE}`,
  );
}

async function main(): Promise<void> {
  if (!(Number.isInteger(SCALE) && SCALE >= 1)) throw new Error(`BENCH_SCALE must be 1 or more, got ${SCALE}`);
  if (!(Number.isInteger(ROUNDS) && ROUNDS >= 1)) throw new Error(`BENCH_ROUNDS must be 1 or more, got ${ROUNDS}`);
  await onBenchStack({ label: 'runbook', temporal: 'own-dev-server', log }, async (stack) => {
    if (!stack.services.includes(SERVICE)) throw new Error(`the bench topology has no ${SERVICE}`);
    const generation = await stack.newGeneration(SCALE - 1);
    log(
      `bench: scale ${SCALE}: generated in ${seconds(generation.generateSeconds)} s, ` +
        `backed up in ${seconds(generation.backupSeconds)} s`,
    );
    const rounds: Round[] = [];
    for (let round = 1; round <= ROUNDS; round += 1) rounds.push(await measureRound(stack, round, generation.backups));
    const sqlBytes = Object.fromEntries(
      rounds[0].fullSystemRestore.services.map((s) => [s.service, s.backup?.uncompressedBytes ?? 0]),
    );
    report(rounds, generation.backups, sqlBytes);
  });
}

main().catch((err: unknown) => {
  console.error(`bench failed: ${(err as Error).stack ?? String(err)}`);
  process.exit(1);
});
