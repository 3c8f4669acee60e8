import { copyFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { WorkflowHandle } from '@temporalio/client';
import { describe, expect, it } from 'vitest';
import { RESTORE_BACKUP_ACTIVITY, RUN_ANYWHERE_ACTIVITIES, type RestoreResult } from '../../shared/activity-contract';
import { settings } from '../../shared/node/settings';
import { loadTopology } from '../../shared/node/topology';
import type { FullSystemRestoreResult } from '../../shared/workflow-types';
import { fullSystemRestore } from '../../workflows';
import { progressQuery } from '../../workflows/definitions';
import { isPolling, type HostQueue } from '../../client/worker-hosts';
import { activityExecutions, completedActivityResult } from '../support/activity-history';
import { runCli } from '../support/cli';
import { ensureBigHermesBackup } from '../support/big-backup';
import { healthStatuses } from '../support/health';
import { waitForLiveQueryProgress } from '../support/pending-activity';
import { backups, dropKeptDatabases, liveRowCounts, manifestRowCounts, sortCounts } from '../support/sandbox-db';
import { testWorkflowId, useTemporalClient } from '../support/temporal-client';
import { startWorkerProcess, type WorkerProcess } from '../support/worker-process';

/** The big hermes backup's generation (test/support/big-backup.ts). */
const GENERATION = '20200101_000000';

/** The sandbox topology with argus on host db-a and hermes on db-b, paths absolute, for the workers. */
function writeHostsConfig(): string {
  const topology = loadTopology(settings.configFile);
  topology.services.argus.workerHost = 'db-a';
  topology.services.hermes.workerHost = 'db-b';
  const file = path.join(settings.dataDir, `test-hosts-${process.pid}.json`);
  writeFileSync(file, JSON.stringify(topology, null, 2));
  return file;
}

async function waitForServiceStep(handle: WorkflowHandle, service: string, step: string): Promise<void> {
  for (let attempt = 0; attempt < 1200; attempt++) {
    const progress = await handle.query(progressQuery);
    if (progress.services[service]?.step === step) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`${service} never reached ${step}`);
}

/** `opareta-dr hosts` lists each queue with its services and the workers polling it (they may need a moment). */
async function expectEveryQueuePolled(config: string, taskQueue: string): Promise<void> {
  let queues: HostQueue[] = [];
  for (let attempt = 0; attempt < 20; attempt++) {
    const run = await runCli(['hosts', '--json'], { OPARETA_CONFIG: config, OPARETA_TASK_QUEUE: taskQueue }, 60_000);
    queues = JSON.parse(run.stdout) as HostQueue[];
    if (run.code === 0) break;
    await new Promise((resolve) => setTimeout(resolve, 1000));
  }
  expect(queues.map((q) => [q.host ?? null, q.taskQueue, q.services])).toEqual([
    [null, taskQueue, []],
    ['db-a', `${taskQueue}@db-a`, ['argus']],
    ['db-b', `${taskQueue}@db-b`, ['hermes']],
  ]);
  // Every worker polls the orchestration queue; each host's queue only its own worker.
  expect(queues[0].workers.filter(isPolling)).toHaveLength(3);
  expect(queues[1].workers.filter(isPolling).map((w) => w.identity)).toEqual([expect.stringMatching(/ host=db-a$/)]);
  expect(queues[2].workers.filter(isPolling).map((w) => w.identity)).toEqual([expect.stringMatching(/ host=db-b$/)]);
}

describe('one Temporal, a worker per host (and a worker killed with SIGKILL in the middle of a restore)', () => {
  const client = useTemporalClient();

  it('runs each service’s steps on its own host’s worker; a host worker killed mid-restore is replaced and its retry resumes', async () => {
    const hermesBackup = await ensureBigHermesBackup();
    const topology = loadTopology(settings.configFile);
    // The same generation for argus: a copy of its newest backup under that generation's name.
    const argusBackup = `argus_${GENERATION}.sql.gz`;
    const argusDirectory = topology.services.argus.backupDirectory;
    copyFileSync(path.join(argusDirectory, (await backups('argus'))[0].file), path.join(argusDirectory, argusBackup));
    const config = writeHostsConfig();
    const taskQueue = `opareta-dr-test-hosts-${process.pid}`;
    const port = 17000 + (process.pid % 1000) * 3;
    const workerEnv = (host: string | undefined, offset: number) => ({
      OPARETA_TASK_QUEUE: taskQueue,
      OPARETA_CONFIG: config,
      OPARETA_METRICS_PORT: String(port + offset),
      OPARETA_WORKER_HOST: host ?? '',
    });
    const argusBefore = sortCounts(await liveRowCounts('argus'));
    const workers: WorkerProcess[] = [];
    const hermesWorkers: WorkerProcess[] = [];
    let handle: WorkflowHandle | undefined;
    try {
      workers.push(await startWorkerProcess(workerEnv(undefined, 0)));
      workers.push(await startWorkerProcess(workerEnv('db-a', 1)));
      hermesWorkers.push(await startWorkerProcess(workerEnv('db-b', 2)));
      await expectEveryQueuePolled(config, taskQueue);
      handle = await (
        await client()
      ).workflow.start(fullSystemRestore, {
        taskQueue,
        workflowId: testWorkflowId('e2e-hosts'),
        args: [{ timestamp: GENERATION }],
      });

      // Kill hermes's host worker in the middle of hermes's restore; the workflow's own progress query shows
      // the restore moving while it runs (the activity signals it).
      const midway = await waitForLiveQueryProgress(handle, 'hermes', 180_000, 50);
      expect(midway.bytesTotal).toBeGreaterThanOrEqual(midway.bytesDone);
      await hermesWorkers[0].stop('SIGKILL');
      expect(hermesWorkers[0].child.signalCode).toBe('SIGKILL');
      // argus goes on to the all-or-nothing point and waits there: nothing is swapped while hermes is down.
      await waitForServiceStep(handle, 'argus', 'verified');
      expect((await handle.query(progressQuery)).services.hermes?.step).toBe('restoring');
      expect(sortCounts(await liveRowCounts('argus'))).toEqual(argusBefore);
      hermesWorkers.push(await startWorkerProcess(workerEnv('db-b', 2)));
      const result = (await handle.result()) as FullSystemRestoreResult;

      expect(result.outcome).toBe('restored');
      expect(result.services.map((s) => [s.service, s.outcome, s.backup?.file])).toEqual([
        ['argus', 'restored', argusBackup],
        ['hermes', 'restored', hermesBackup],
      ]);
      expect(sortCounts(await liveRowCounts('hermes'))).toEqual(
        sortCounts(await manifestRowCounts('hermes', hermesBackup)),
      );
      expect(sortCounts(await liveRowCounts('argus'))).toEqual(
        sortCounts(await manifestRowCounts('argus', argusBackup)),
      );
      expect(await healthStatuses('argus')).toEqual([200, 200]);
      expect(await healthStatuses('hermes')).toEqual([200, 200]);

      // Each service's host-bound steps went to its host's queue and were run by that host's workers only.
      const anywhere = new Set<string>(RUN_ANYWHERE_ACTIVITIES);
      const executions = await activityExecutions(handle);
      for (const [service, host] of [
        ['argus', 'db-a'],
        ['hermes', 'db-b'],
      ]) {
        const bound = executions.filter((e) => e.service === service && !anywhere.has(e.name));
        expect(bound.map((e) => e.name)).toEqual(
          expect.arrayContaining([RESTORE_BACKUP_ACTIVITY, 'swapDatabaseNames']),
        );
        expect(new Set(bound.map((e) => e.taskQueue))).toEqual(new Set([`${taskQueue}@${host}`]));
        expect(bound.every((e) => e.workerIdentity?.endsWith(` host=${host}`))).toBe(true);
      }
      expect(executions.filter((e) => anywhere.has(e.name)).every((e) => e.taskQueue === taskQueue)).toBe(true);
      // The restarted worker's retry read the side database's ledger and loaded only what the killed one had
      // not committed.
      const resumed = await completedActivityResult<RestoreResult>(handle, RESTORE_BACKUP_ACTIVITY, 'hermes');
      // Which unit it resumed after depends on how far the killed worker got (rows, or already the keys and
      // indexes after them on a loaded machine); that it resumed at all is what counts.
      expect(resumed.resumedFrom).toMatch(/\S/);
      expect(resumed.unitsSkipped).toBeGreaterThan(0);
      // The restarted worker of db-b finished hermes's restore.
      const hermesRestore = executions.filter((e) => e.service === 'hermes' && e.name === RESTORE_BACKUP_ACTIVITY);
      expect(hermesRestore.at(-1)?.workerIdentity).toContain(`${hermesWorkers[1].child.pid}@`);
    } finally {
      if (handle && (await handle.describe()).status.name === 'RUNNING') await handle.terminate('test cleanup');
      for (const worker of [...workers, ...hermesWorkers]) await worker.stop();
      rmSync(path.join(argusDirectory, argusBackup), { force: true });
      rmSync(config, { force: true });
      // The pre-restore copies, or the side databases of a run cut short by a failed assertion.
      await dropKeptDatabases('argus');
      await dropKeptDatabases('hermes');
    }

    // Put the sandbox back on its latest backups for whatever runs next, with one worker as before hosts.
    const worker = await startWorkerProcess({
      OPARETA_TASK_QUEUE: taskQueue,
      OPARETA_METRICS_PORT: String(port),
    });
    try {
      const back = (await (
        await client()
      ).workflow.execute(fullSystemRestore, {
        taskQueue,
        workflowId: testWorkflowId('e2e-hosts-back'),
        args: [{}],
      })) as FullSystemRestoreResult;
      expect(back.outcome).toBe('restored');
    } finally {
      await worker.stop();
      await dropKeptDatabases('argus');
      await dropKeptDatabases('hermes');
    }
  }, 600_000);
});
