/**
 * One time-skipping test server and one worker per test file, on the workflow bundle the project's global set-up
 * made once (bundle-once.ts): every test of a file shares them and swaps in a fresh FakeWorld instead.
 */
import { Runtime, Worker, type WorkflowBundle } from '@temporalio/worker';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { afterAll, beforeAll, inject } from 'vitest';
import { FakeWorld } from './fake-world';
import { createTestServer, delegateTo, quietLogger } from './test-server';

export { waitForStep } from './test-server';

let runtimeInstalled = false;

/** The bundle of this run's global set-up. */
export function sharedWorkflowBundle(): WorkflowBundle {
  const code = inject('workflowBundleCode');
  if (!code) throw new Error('no workflow bundle: run the workflow tests with `--project workflows`');
  return { code };
}

export interface WorkflowTestbed {
  readonly env: TestWorkflowEnvironment;
  readonly taskQueue: string;
  /** The world the worker's activities act on; replace it per test with `reset`. */
  world: FakeWorld;
  reset(world?: FakeWorld): FakeWorld;
}

export function useWorkflowTestbed(name: string): WorkflowTestbed {
  let env: TestWorkflowEnvironment | undefined;
  let worker: Worker | undefined;
  let running: Promise<void> | undefined;
  const testbed = {
    taskQueue: `workflow-tests-${name}`,
    world: new FakeWorld(),
    get env(): TestWorkflowEnvironment {
      if (!env) throw new Error('test environment not started');
      return env;
    },
    reset(world = new FakeWorld()): FakeWorld {
      testbed.world = world;
      return world;
    },
  };

  beforeAll(async () => {
    if (!runtimeInstalled) {
      Runtime.install({ logger: quietLogger() });
      runtimeInstalled = true;
    }
    env = await createTestServer();
    worker = await Worker.create({
      connection: env.nativeConnection,
      taskQueue: testbed.taskQueue,
      workflowBundle: sharedWorkflowBundle(),
      activities: delegateTo(() => testbed.world),
      // Cancellation reaches a held activity with its next heartbeat: do not wait the default 30 s.
      maxHeartbeatThrottleInterval: '50ms',
      defaultHeartbeatThrottleInterval: '50ms',
    });
    running = worker.run();
  }, 120_000);

  afterAll(async () => {
    worker?.shutdown();
    await running;
    await env?.teardown();
  }, 60_000);

  return testbed;
}
