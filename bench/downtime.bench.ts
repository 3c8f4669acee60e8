import path from 'node:path';
import type { BackupResult } from '../sandbox';
import type { FullSystemRestoreResult } from '../shared/workflow-types';
import { fullSystemRestore } from '../workflows';
import { onBenchStack, type BenchStack } from './bench-stack';
import {
  measurementTable,
  medianDowntime,
  summaryLine,
  type RestoreRun,
  type ScaleMeasurement,
} from './downtime/report';
import { swapStepSeconds } from './downtime/swap-steps';

/**
 * Issue 4's must-show: the downtime of `fullSystemRestore {}` (first app stopped to every app healthy again)
 * is at most 10 s on the default sandbox data and does not grow with the data, because the restore runs
 * beside the live database and only the swap stops the apps. Runs on a stack of its own (bench/downtime/),
 * at scale 1 (the sandbox's default data) and at BENCH_DOWNTIME_SCALE (40 by default: about 250 MB of SQL),
 * BENCH_DOWNTIME_ROUNDS restores each (3 by default). The swap steps are timed from each workflow's history.
 * Last line (medians): `downtime scale=1 seconds=<x> scale=<n> seconds=<y> restore_seconds=<a>/<b>`.
 */
const LARGE_SCALE = Number(process.env.BENCH_DOWNTIME_SCALE ?? 40);
const ROUNDS = Number(process.env.BENCH_DOWNTIME_ROUNDS ?? 3);
const MAX_DEFAULT_DOWNTIME_SECONDS = 10;
const WORKFLOW_TIMEOUT = '30m';

const log = (line: string) => console.log(line);

/**
 * Appends data, takes one backup generation of every service under one timestamp, and restores it all ROUNDS
 * times: one swap's downtime on a shared two-core machine varies by a second or two, a median does not.
 */
async function measureScale(stack: BenchStack, scale: number, addUnits: number): Promise<ScaleMeasurement> {
  const { backups, generateSeconds, backupSeconds } = await stack.newGeneration(addUnits);
  const runs: RestoreRun[] = [];
  for (let round = 1; round <= ROUNDS; round += 1) {
    runs.push(await restoreEverything(stack, scale, round, backups));
    log(`bench: scale ${scale} round ${round}: ${describeRun(runs[round - 1])}`);
  }
  return {
    scale,
    sqlBytes: runs[0].result.services.reduce((sum, s) => sum + (s.backup?.uncompressedBytes ?? 0), 0),
    gzipBytes: backups.reduce((sum, b) => sum + b.bytes, 0),
    generateSeconds,
    backupSeconds,
    runs,
  };
}

/** `fullSystemRestore {}`, which must restore exactly the generation just taken and swap it in. */
async function restoreEverything(
  stack: BenchStack,
  scale: number,
  round: number,
  backups: BackupResult[],
): Promise<RestoreRun> {
  log(`bench: ${fullSystemRestore.name} {} at scale ${scale}, round ${round}, on ${stack.taskQueue}`);
  const handle = await stack.client.workflow.start(fullSystemRestore, {
    taskQueue: stack.taskQueue,
    workflowId: `bench-downtime-scale${scale}-round${round}-${process.pid}-${Date.now()}`,
    args: [{}],
    workflowExecutionTimeout: WORKFLOW_TIMEOUT,
  });
  stack.running = handle;
  const restartsBefore = stack.workerRestarts;
  const result: FullSystemRestoreResult = await handle.result();
  stack.running = undefined;
  if (result.outcome !== 'restored') {
    throw new Error(`fullSystemRestore at scale ${scale} ended ${result.outcome}: ${result.detail}`);
  }
  for (const backup of backups) {
    const used = result.services.find((s) => s.service === backup.service)?.backup?.file;
    if (!used || path.basename(used) !== path.basename(backup.file)) {
      throw new Error(`${backup.service} restored ${used ?? 'nothing'}, not this generation's ${backup.file}`);
    }
  }
  return {
    result,
    steps: swapStepSeconds(await handle.fetchHistory()),
    workerRestarts: stack.workerRestarts - restartsBefore,
  };
}

function describeRun(r: RestoreRun): string {
  const restores = r.result.services.map((s) => `${s.service} ${s.restoreSeconds?.toFixed(1) ?? '-'} s`).join(', ');
  return (
    `restore ${restores}; downtime ${r.result.downtimeSeconds?.toFixed(1) ?? '-'} s (stop apps ` +
    `${r.steps.stopApps.toFixed(1)} s, terminate + rename ${r.steps.renameDatabases.toFixed(1)} s, ` +
    `start apps until healthy ${r.steps.startAppsUntilHealthy.toFixed(1)} s)`
  );
}

async function main(): Promise<void> {
  if (!(LARGE_SCALE > 1)) throw new Error(`BENCH_DOWNTIME_SCALE must be above 1, got ${LARGE_SCALE}`);
  if (!(Number.isInteger(ROUNDS) && ROUNDS >= 1))
    throw new Error(`BENCH_DOWNTIME_ROUNDS must be 1 or more, got ${ROUNDS}`);
  const measurements = await onBenchStack({ label: 'downtime', temporal: 'environment', log }, async (stack) => [
    await measureScale(stack, 1, 0),
    await measureScale(stack, LARGE_SCALE, LARGE_SCALE - 1),
  ]);

  const [small, large] = measurements.map(medianDowntime);
  console.log('');
  for (const m of measurements) {
    const made = m.scale === 1 ? 'the sandbox sample data' : `generated in ${m.generateSeconds.toFixed(1)} s`;
    const sql = (m.sqlBytes / 1024 ** 2).toFixed(1);
    console.log(`scale ${m.scale}: ${sql} MB of SQL, ${made}, backed up in ${m.backupSeconds.toFixed(1)} s`);
  }
  console.log(measurementTable(measurements));
  console.log('');
  console.log(
    `default data: median downtime ${small.toFixed(1)} s (limit ${MAX_DEFAULT_DOWNTIME_SECONDS} s); ` +
      `at ${(measurements[1].sqlBytes / measurements[0].sqlBytes).toFixed(0)}x the SQL: ${large.toFixed(1)} s`,
  );
  for (const m of measurements) {
    const restarts = m.runs.reduce((sum, r) => sum + r.workerRestarts, 0);
    if (restarts > 0)
      console.log(`warning: the worker was restarted ${restarts} time(s) during scale ${m.scale} restores`);
  }
  if (!(small <= MAX_DEFAULT_DOWNTIME_SECONDS)) process.exitCode = 1;
  console.log(summaryLine(measurements));
}

main().catch((err: unknown) => {
  console.error(`bench failed: ${(err as Error).stack ?? String(err)}`);
  process.exit(1);
});
