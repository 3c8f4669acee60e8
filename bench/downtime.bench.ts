import { rm, rmdir } from 'node:fs/promises';
import path from 'node:path';
import type { Client, WorkflowHandle } from '@temporalio/client';
import { backupService, generateData, sandboxDown, sandboxUp, type BackupResult } from '../sandbox';
import type { Topology } from '../shared/node/topology';
import type { FullSystemRestoreResult } from '../shared/workflow-types';
import { fullSystemRestore } from '../workflows';
import {
  measurementTable,
  medianDowntime,
  summaryLine,
  type RestoreRun,
  type ScaleMeasurement,
} from './downtime/report';
import { swapStepSeconds } from './downtime/swap-steps';
import { BENCH_NAMESPACE, connectBenchClient, freePort } from './downtime/temporal';
import { benchStack } from './derived-topology';
import { SupervisedWorker } from './downtime/worker';

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
const TASK_QUEUE = `opareta-dr-bench-${process.pid}`;
const WORKFLOW_TIMEOUT = '30m';

const log = (line: string) => console.log(line);

function wholeSecond(): Date {
  return new Date(Math.floor(Date.now() / 1000) * 1000);
}

function secondsSince(startedMs: number): number {
  return (Date.now() - startedMs) / 1000;
}

interface BenchRun {
  topology: Topology;
  client: Client;
  worker: SupervisedWorker;
  /** The workflow in flight, terminated when the bench stops early. */
  running?: WorkflowHandle;
  lastTimestamp?: Date;
}

/**
 * Appends data, takes one backup generation of every service under one timestamp, and restores it all ROUNDS
 * times: one swap's downtime on a shared two-core machine varies by a second or two, a median does not.
 */
async function measureScale(run: BenchRun, scale: number, addUnits: number): Promise<ScaleMeasurement> {
  const services = Object.keys(run.topology.services);
  const generateStarted = Date.now();
  for (const service of services) {
    if (addUnits <= 0) break;
    log(`bench: generating ${addUnits} more scale units of ${service}`);
    await generateData(service, { topology: run.topology, scale: addUnits });
  }
  const generateSeconds = secondsSince(generateStarted);

  let timestamp = wholeSecond();
  // Backup names carry whole seconds: a second generation must not reuse the first one's name.
  while (run.lastTimestamp && timestamp <= run.lastTimestamp) {
    await new Promise((resolve) => setTimeout(resolve, 250));
    timestamp = wholeSecond();
  }
  run.lastTimestamp = timestamp;
  const backupStarted = Date.now();
  const backups = [];
  for (const service of services)
    backups.push(await backupService(service, { topology: run.topology, timestamp, log }));
  const backupSeconds = secondsSince(backupStarted);

  const runs: RestoreRun[] = [];
  for (let round = 1; round <= ROUNDS; round += 1) {
    runs.push(await restoreEverything(run, scale, round, backups));
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
  run: BenchRun,
  scale: number,
  round: number,
  backups: BackupResult[],
): Promise<RestoreRun> {
  log(
    `bench: ${fullSystemRestore.name} {} at scale ${scale}, round ${round}, on ${TASK_QUEUE} (namespace ${BENCH_NAMESPACE})`,
  );
  const handle = await run.client.workflow.start(fullSystemRestore, {
    taskQueue: TASK_QUEUE,
    workflowId: `bench-downtime-scale${scale}-round${round}-${process.pid}-${Date.now()}`,
    args: [{}],
    workflowExecutionTimeout: WORKFLOW_TIMEOUT,
  });
  run.running = handle;
  const restartsBefore = run.worker.restarts;
  const result: FullSystemRestoreResult = await handle.result();
  run.running = undefined;
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
    workerRestarts: run.worker.restarts - restartsBefore,
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

/** Removes the bench containers, volumes, network, backups and secrets; keeps others' files in .data/bench. */
async function removeBenchStack(topology: Topology): Promise<void> {
  await sandboxDown({ topology, volumes: true, log });
  await rm(benchStack.backupRoot, { recursive: true, force: true });
  await rm(benchStack.secretsDir, { recursive: true, force: true });
  // The restore benchmark keeps its 1 GB dump in .data/bench: remove the directory only when it is empty.
  await rmdir(benchStack.dataDir).catch(() => undefined);
}

async function main(): Promise<void> {
  if (!(LARGE_SCALE > 1)) throw new Error(`BENCH_DOWNTIME_SCALE must be above 1, got ${LARGE_SCALE}`);
  if (!(Number.isInteger(ROUNDS) && ROUNDS >= 1))
    throw new Error(`BENCH_DOWNTIME_ROUNDS must be 1 or more, got ${ROUNDS}`);
  const bench = await benchStack.write();
  const { topology } = bench;
  const worker = new SupervisedWorker(
    {
      OPARETA_CONFIG: bench.file,
      OPARETA_TASK_QUEUE: TASK_QUEUE,
      OPARETA_METRICS_PORT: String(await freePort()),
      TEMPORAL_NAMESPACE: BENCH_NAMESPACE,
    },
    log,
  );
  let run: BenchRun | undefined;
  const measurements: ScaleMeasurement[] = [];

  let stopping: Promise<void> | undefined;
  const stop = () =>
    (stopping ??= (async () => {
      // First, so a worker that a Ctrl-C also reached is not started again.
      const workerStopped = worker.stop();
      await run?.running?.terminate('the downtime bench stopped').catch(() => undefined);
      await workerStopped;
      await run?.client.connection.close();
      await removeBenchStack(topology);
      await bench.remove();
    })());
  process.once('SIGINT', () => {
    log('bench: interrupted, removing the bench stack');
    void stop().finally(() => process.exit(130));
  });

  try {
    // A clean start: whatever an interrupted run left goes, so scale 1 is exactly the default data.
    await removeBenchStack(topology);
    await sandboxUp({ topology, data: true, backups: false, log });
    run = { topology, client: await connectBenchClient(), worker };
    await worker.start();
    measurements.push(await measureScale(run, 1, 0));
    measurements.push(await measureScale(run, LARGE_SCALE, LARGE_SCALE - 1));
  } catch (err) {
    console.error(`bench: worker output (last 4000 characters):\n${worker.output().slice(-4000)}`);
    throw err;
  } finally {
    await stop();
  }

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
