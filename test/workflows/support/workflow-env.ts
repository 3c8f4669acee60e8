/**
 * One time-skipping test server, one workflow bundle and one worker per test file: bundling is the slow
 * part, so every test of a file shares them and swaps in a fresh FakeWorld instead.
 */
import path from 'node:path';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { bundleWorkflowCode, Runtime, DefaultLogger, Worker, type WorkflowBundle } from '@temporalio/worker';
import type { WorkflowHandle } from '@temporalio/client';
import { afterAll, beforeAll } from 'vitest';
import type { DrActivities } from '../../../shared/activity-contract';
import type { WorkflowProgress } from '../../../shared/workflow-types';
import { OPARETA_SEARCH_ATTRIBUTES, progressQuery } from '../../../workflows/definitions';
import { temporal } from '@temporalio/proto';
import { FakeWorld } from './fake-world';

export const repoRoot = path.resolve(__dirname, '../../..');

export function testServerPath(): string {
  return process.env.TEMPORAL_TEST_SERVER_PATH ?? path.join(repoRoot, '.tools/temporal/bin/temporal-test-server');
}

const { IndexedValueType } = temporal.api.enums.v1;
const indexedValueType = {
  KEYWORD: IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD,
  KEYWORD_LIST: IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD_LIST,
};

/** The time-skipping server, with our custom search attributes registered (it rejects unknown ones). */
export async function createTestServer(): Promise<TestWorkflowEnvironment> {
  const env = await TestWorkflowEnvironment.createTimeSkipping({
    server: { executable: { type: 'existing-path', path: testServerPath() } },
  });
  await env.connection.operatorService.addSearchAttributes({
    namespace: env.namespace ?? 'default',
    searchAttributes: Object.fromEntries(
      OPARETA_SEARCH_ATTRIBUTES.map((key) => [key.name, indexedValueType[key.type as keyof typeof indexedValueType]]),
    ),
  });
  return env;
}

export async function bundleWorkflows(): Promise<WorkflowBundle> {
  return bundleWorkflowCode({ workflowsPath: path.join(repoRoot, 'workflows', 'index.ts'), logger: quietLogger() });
}

function quietLogger(): DefaultLogger {
  return new DefaultLogger('ERROR');
}

let runtimeInstalled = false;

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
    const [server, workflowBundle] = await Promise.all([createTestServer(), bundleWorkflows()]);
    env = server;
    worker = await Worker.create({
      connection: env.nativeConnection,
      taskQueue: testbed.taskQueue,
      workflowBundle,
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

function delegateTo(world: () => FakeWorld): DrActivities {
  const names = Object.keys(new FakeWorld().activities()) as (keyof DrActivities)[];
  return Object.fromEntries(
    names.map((name) => [name, (input: unknown) => (world().activities()[name] as (i: unknown) => unknown)(input)]),
  ) as unknown as DrActivities;
}

/** Polls the progress query until the workflow reports `step` (real time, no time skipping involved). */
export async function waitForStep(handle: WorkflowHandle, step: string): Promise<WorkflowProgress> {
  for (let attempt = 0; attempt < 600; attempt++) {
    try {
      const progress = await handle.query(progressQuery);
      if (progress.step === step) return progress;
    } catch {
      // The query handler is registered once the first workflow task ran.
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`workflow never reached step ${step}`);
}
