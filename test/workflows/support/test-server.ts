/**
 * The time-skipping test server, the workflow bundle and the activity plumbing shared by the workflow
 * decision tests and the replay recorder (plain Node: no vitest imports here).
 */
import path from 'node:path';
import type { WorkflowHandle } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { bundleWorkflowCode, DefaultLogger, type WorkflowBundle } from '@temporalio/worker';
import type { DrActivities } from '../../../shared/activity-contract';
import type { WorkflowProgress } from '../../../shared/workflow-types';
import { OPARETA_SEARCH_ATTRIBUTES, progressQuery } from '../../../workflows/definitions';
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

export function quietLogger(): DefaultLogger {
  return new DefaultLogger('ERROR');
}

/** Activities that act on whatever world `world()` returns at call time. */
export function delegateTo(world: () => FakeWorld): DrActivities {
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
