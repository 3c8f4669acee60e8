import path from 'node:path';
import { backupService, generateData, type BackupResult } from '../sandbox';
import { getService } from '../shared/node/topology';
import type { RestoreDatabaseResult } from '../shared/workflow-types';
import { restoreDatabase, restoreDrill } from '../workflows';
import { onBenchStack, type BenchStack } from './bench-stack';
import { databasesOf, dropDatabaseForce, withDatabase } from './chaos/db';

/**
 * Issue 12's must-show: with a warm standby, `restoreDatabase {"service":"argus"}` from the latest backup is a
 * rename and a swap, so its time does not grow with the data. On the bench stack (bench/bench-stack.ts: its own
 * `opareta-bench-*` containers, Temporal dev server and worker; the standby is on as in config/sandbox.json),
 * argus is grown to BENCH_SCALE_SMALL scale units (25: about 100 MB of SQL) and backed up; a drill keeps the
 * standby; then the restore with the standby, and the same restore with `useStandby: false` for comparison. Then
 * the same at BENCH_SCALE_LARGE (250, 10 times the data: about 1 GB of SQL, whose normal restoreDatabase, the
 * restore, verification and swap, takes over a minute on the 2-core VM; generating it about 7 minutes). Each restore is timed from the workflow's start to its close as the server
 * recorded them; what a restore kept (`_pre_restore_`) is dropped outside the clock. Last line:
 * `standby restore small=<s>s large=<s>s normal_small=<s>s normal_large=<s>s`.
 */
const SMALL = Number(process.env.BENCH_SCALE_SMALL ?? 25);
const LARGE = Number(process.env.BENCH_SCALE_LARGE ?? 250);
const SERVICE = 'argus';
const TARGET_SECONDS = 15;
const WORKFLOW_TIMEOUT = '60m' as const;

const log = (line: string) => console.log(line);
const seconds = (value: number) => value.toFixed(1);

interface SizeMeasurement {
  scale: number;
  sqlMb: number;
  standbyMb: number;
  withStandby: number;
  normal: number;
}

/** The bench's argus, after `scale - current` more units, backed up under a new second. */
async function growAndBackUp(stack: BenchStack, addUnits: number): Promise<BackupResult> {
  if (addUnits > 0) {
    log(`bench: generating ${addUnits} more scale units of ${SERVICE}`);
    await generateData(SERVICE, { topology: stack.topology, scale: addUnits });
  }
  await new Promise((resolve) => setTimeout(resolve, 1100)); // backup names carry whole seconds
  return backupService(SERVICE, { topology: stack.topology, log });
}

/** A drill of argus's latest backup, which must keep the standby. */
async function drill(stack: BenchStack, backup: BackupResult): Promise<number> {
  const result = await stack.client.workflow.execute(restoreDrill, {
    taskQueue: stack.taskQueue,
    workflowId: `bench-standby-drill-${process.pid}-${Date.now()}`,
    args: [{ services: [SERVICE] }],
    workflowExecutionTimeout: WORKFLOW_TIMEOUT,
  });
  const [report] = result.services;
  if (!report.standby?.kept || report.standby.backupFile !== path.basename(backup.file)) {
    throw new Error(`the drill kept no standby of ${backup.file}: ${JSON.stringify(report.standby ?? report.reason)}`);
  }
  log(`bench: drill kept ${report.standby.database} (${(report.standby.sizeBytes! / 1024 ** 2).toFixed(0)} MB)`);
  return report.standby.sizeBytes!;
}

/** restoreDatabase of argus's latest backup, timed by the server: start to close. */
async function timedRestore(
  stack: BenchStack,
  backup: BackupResult,
  useStandby: boolean,
): Promise<{ total: number; sqlBytes: number }> {
  const config = getService(stack.topology, SERVICE);
  await withDatabase(config, 'postgres', (client) => client.query('CHECKPOINT'));
  const handle = await stack.client.workflow.start(restoreDatabase, {
    taskQueue: stack.taskQueue,
    workflowId: `bench-standby-restore-${useStandby ? 'standby' : 'normal'}-${process.pid}-${Date.now()}`,
    args: [{ service: SERVICE, useStandby }],
    workflowExecutionTimeout: WORKFLOW_TIMEOUT,
  });
  stack.running = handle;
  const result: RestoreDatabaseResult = await handle.result();
  stack.running = undefined;
  if (result.outcome !== 'restored' || result.backup?.file !== path.basename(backup.file)) {
    throw new Error(`restoreDatabase ended ${result.outcome} with ${result.backup?.file}: ${result.detail}`);
  }
  if (result.fromStandby !== useStandby) {
    throw new Error(`fromStandby is ${result.fromStandby} (${result.standbyUnusedReason ?? 'no reason'})`);
  }
  const description = await handle.describe();
  if (!description.closeTime) throw new Error(`${handle.workflowId} has no close time`);
  const total = (description.closeTime.getTime() - description.startTime.getTime()) / 1000;
  log(
    `bench: restoreDatabase ${useStandby ? 'with the standby' : 'normal (useStandby: false)'}: ${seconds(total)} s ` +
      `(restore ${seconds(result.restoreSeconds ?? 0)} s, downtime ${seconds(result.downtimeSeconds ?? 0)} s)`,
  );
  // What the restore kept beside the live database: disk, outside the clock.
  for (const database of await databasesOf(config)) {
    if (database.includes('_pre_restore_')) await dropDatabaseForce(config, database);
  }
  return { total, sqlBytes: result.backup?.uncompressedBytes ?? 0 };
}

async function measure(stack: BenchStack, scale: number, addUnits: number): Promise<SizeMeasurement> {
  const backup = await growAndBackUp(stack, addUnits);
  const standbyBytes = await drill(stack, backup);
  const withStandby = await timedRestore(stack, backup, true);
  const normal = await timedRestore(stack, backup, false);
  return {
    scale,
    sqlMb: normal.sqlBytes / 1024 ** 2,
    standbyMb: standbyBytes / 1024 ** 2,
    withStandby: withStandby.total,
    normal: normal.total,
  };
}

async function main(): Promise<void> {
  if (!(SMALL >= 1 && LARGE > SMALL)) throw new Error(`need 1 <= BENCH_SCALE_SMALL < BENCH_SCALE_LARGE`);
  const [small, large] = await onBenchStack({ label: 'standby', temporal: 'own-dev-server', log }, async (stack) => [
    await measure(stack, SMALL, SMALL - 1),
    await measure(stack, LARGE, LARGE - SMALL),
  ]);
  console.log('');
  console.log(
    '| scale | SQL of the backup | standby on disk | restoreDatabase with the standby | normal restoreDatabase |',
  );
  console.log(
    '| ----- | ----------------- | --------------- | -------------------------------- | ---------------------- |',
  );
  for (const m of [small, large]) {
    console.log(
      `| ${m.scale} | ${m.sqlMb.toFixed(0)} MB | ${m.standbyMb.toFixed(0)} MB | ${seconds(m.withStandby)} s | ` +
        `${seconds(m.normal)} s |`,
    );
  }
  if (!(small.withStandby <= TARGET_SECONDS && large.withStandby <= TARGET_SECONDS)) process.exitCode = 1;
  console.log(
    `standby restore small=${seconds(small.withStandby)}s large=${seconds(large.withStandby)}s ` +
      `normal_small=${seconds(small.normal)}s normal_large=${seconds(large.normal)}s`,
  );
}

main().catch((err: unknown) => {
  console.error(`bench failed: ${(err as Error).stack ?? String(err)}`);
  process.exit(1);
});
