import { Connection } from '@temporalio/client';
import { afterAll, beforeAll } from 'vitest';
import { temporalConnectConfig } from '../../shared/node/temporal-connection';
import { dropNewStandbys, standbysByService } from './sandbox-db';
import { startWorkerProcess, type WorkerProcess } from './worker-process';

/**
 * For end-to-end test files: `npm test` (scripts/test.sh) has started the Temporal dev server and the
 * sandbox; this starts the real worker as a process on a task queue of this file's own, so a worker of
 * an `npm start` running beside the tests never picks up the tests' workflows.
 */
export function useWorkerProcess(
  name: string,
  extraEnv: () => Record<string, string> = () => ({}),
): {
  taskQueue: string;
  env: Record<string, string>;
  worker: () => WorkerProcess;
} {
  const taskQueue = `opareta-dr-test-${name}-${process.pid}`;
  const env = { OPARETA_TASK_QUEUE: taskQueue, OPARETA_METRICS_PORT: String(19000 + (process.pid % 1000)) };
  let worker: WorkerProcess | undefined;
  let standbysBefore: Record<string, string[]> | undefined;

  beforeAll(async () => {
    await assertTemporalAnswers();
    standbysBefore = await standbysByService();
    worker = await startWorkerProcess({ ...env, ...extraEnv() });
  }, 180_000);

  afterAll(async () => {
    await worker?.stop();
    // A drill that passes keeps a warm standby in the sandbox: the file's drills leave none behind.
    if (standbysBefore) await dropNewStandbys(standbysBefore);
  }, 60_000);

  return {
    taskQueue,
    env,
    worker: () => {
      if (!worker) throw new Error('worker not started');
      return worker;
    },
  };
}

async function assertTemporalAnswers(): Promise<void> {
  const temporal = temporalConnectConfig();
  try {
    const connection = await Connection.connect({ ...temporal.connectionOptions, connectTimeout: '5s' });
    await connection.close();
  } catch (err) {
    throw new Error(
      `no Temporal server at ${temporal.connectionOptions.address} (${(err as Error).message}); ` +
        'run the suite with `npm test`, which starts one',
    );
  }
}
