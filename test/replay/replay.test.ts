import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { Worker, type WorkflowBundle } from '@temporalio/worker';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  fullSystemRestore,
  ping,
  restoreDatabase,
  restoreDrill,
  restoreDrillService,
  serviceRestoreLock,
} from '../../workflows';
import { FakeWorld } from '../workflows/support/fake-world';
import { createTestServer, delegateTo } from '../workflows/support/test-server';
import { sharedWorkflowBundle } from '../workflows/support/workflow-env';
import { historyFromFixture, historyToFixture, runScenario, scenarios, type RecordedHistory } from './scenarios';

const historiesDir = path.join(__dirname, 'histories');

interface Replayable {
  workflowId: string;
  history: ReturnType<typeof historyFromFixture>;
}

/** Replays histories against today's workflow code; returns "<id>: <error>" for each that diverges. */
async function replayAll(workflowBundle: WorkflowBundle, histories: Replayable[]): Promise<string[]> {
  const problems: string[] = [];
  const results = Worker.runReplayHistories({ workflowBundle, replayName: 'replay-test' }, histories);
  for await (const result of results) {
    if (result.error) problems.push(`${result.workflowId}: ${result.error.message}`);
  }
  return problems;
}

function workflowTypeOf(history: Replayable['history']): string | undefined {
  return history.events?.[0]?.workflowExecutionStartedEventAttributes?.workflowType?.name ?? undefined;
}

describe('replay', () => {
  let workflowBundle: WorkflowBundle;

  beforeAll(async () => {
    workflowBundle = sharedWorkflowBundle();
  }, 120_000);

  it('replays every committed history fixture without non-determinism', async () => {
    const files = readdirSync(historiesDir).filter((f) => f.endsWith('.json'));
    const histories = files.map((file) => ({
      workflowId: file.replace(/\.json$/, ''),
      history: historyFromFixture(readFileSync(path.join(historiesDir, file), 'utf8')),
    }));
    const types = new Set(histories.map((h) => workflowTypeOf(h.history)));
    const recorded = [fullSystemRestore, ping, restoreDatabase, restoreDrill, restoreDrillService, serviceRestoreLock];
    expect([...types].sort()).toEqual(recorded.map((workflow) => workflow.name).sort());
    expect(await replayAll(workflowBundle, histories)).toEqual([]);
  }, 120_000);

  it('fails on a history that today’s code would not produce', async () => {
    const fixture = readFileSync(path.join(historiesDir, 'replay-restore-database-swap.json'), 'utf8');
    const history = historyFromFixture(fixture);
    // Swap the first activity the workflow scheduled for another: replay must notice.
    const scheduled = history.events?.find(
      (e) => e.activityTaskScheduledEventAttributes,
    )?.activityTaskScheduledEventAttributes;
    if (!scheduled?.activityType) throw new Error('fixture has no scheduled activity');
    scheduled.activityType.name = 'dropDatabase';
    const problems = await replayAll(workflowBundle, [{ workflowId: 'tampered', history }]);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/nondetermin/i);
  }, 120_000);

  describe('fresh runs on the test server', () => {
    let env: TestWorkflowEnvironment;
    let world = new FakeWorld();
    let worker: Worker;
    let running: Promise<void>;
    const taskQueue = 'replay-fresh';

    beforeAll(async () => {
      env = await createTestServer();
      worker = await Worker.create({
        connection: env.nativeConnection,
        taskQueue,
        workflowBundle,
        activities: delegateTo(() => world),
      });
      running = worker.run();
    }, 120_000);

    afterAll(async () => {
      worker.shutdown();
      await running;
      await env.teardown();
    }, 60_000);

    it('runs each workflow type once, fetches its history and replays it', async () => {
      const recorded: RecordedHistory[] = [];
      for (const scenario of scenarios) {
        recorded.push(...(await runScenario(env.client, taskQueue, scenario, (next) => (world = next))));
      }
      // Through the fixture format too, so the recorder's files are known to round-trip.
      const histories = recorded.map((r) => ({
        workflowId: r.workflowId,
        history: historyFromFixture(historyToFixture(r.history)),
      }));
      expect(histories.length).toBeGreaterThanOrEqual(scenarios.length);
      expect(await replayAll(workflowBundle, histories)).toEqual([]);
    }, 120_000);
  });
});
