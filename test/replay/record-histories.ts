/**
 * Records the replay fixtures: `npx tsx test/replay/record-histories.ts`. Run it after a deliberate change
 * to workflow code (with a patch() where running workflows must survive the change) and commit the JSON.
 * `RECORD_ONLY=name,name` records only those scenarios: new ones, leaving the histories of older code as they
 * are (they prove that runs started before a patch still replay).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Worker } from '@temporalio/worker';
import { FakeWorld } from '../workflows/support/fake-world';
import { bundleWorkflows, createTestServer, delegateTo } from '../workflows/support/test-server';
import { historyToFixture, runScenario, scenarios } from './scenarios';

export const historiesDir = path.join(__dirname, 'histories');

async function main(): Promise<void> {
  const env = await createTestServer();
  let world = new FakeWorld();
  const taskQueue = 'replay-recorder';
  const worker = await Worker.create({
    connection: env.nativeConnection,
    taskQueue,
    workflowBundle: await bundleWorkflows(),
    activities: delegateTo(() => world),
  });
  mkdirSync(historiesDir, { recursive: true });
  try {
    await worker.runUntil(async () => {
      const only = process.env.RECORD_ONLY?.split(',');
      for (const scenario of scenarios.filter((s) => !only || only.includes(s.name))) {
        const recorded = await runScenario(env.client, taskQueue, scenario, (next) => (world = next));
        for (const history of recorded) {
          writeFileSync(
            path.join(historiesDir, `${history.workflowId}.json`),
            `${historyToFixture(history.history)}\n`,
          );
          console.log(`recorded ${history.workflowId} (${history.history.events?.length} events)`);
        }
      }
    });
  } finally {
    await env.teardown();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
