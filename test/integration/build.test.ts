import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { projectRoot } from '../../shared/node/settings';
import { ping } from '../../workflows';
import { testWorkflowId, useTemporalClient } from '../support/temporal-client';
import { startWorkerProcess } from '../support/worker-process';

/**
 * `npm run build` makes what `npm start` and the worker image run: plain JavaScript in dist/ and the workflow
 * code bundled once. Shown here by running it: the compiled worker (plain node, no tsx loader) says it loaded
 * the prebuilt bundle, and a workflow from that bundle runs its activities against the sandbox.
 */
const builtStamp = path.join(projectRoot, 'dist', '.built');
const connectClient = useTemporalClient();

describe('the build', () => {
  it('runs the worker as plain JavaScript from the prebuilt workflow bundle', async () => {
    // npm test builds before the tests; a file run on its own builds here.
    if (!existsSync(builtStamp))
      execFileSync('bash', [path.join(projectRoot, 'scripts', 'build.sh')], { stdio: 'ignore' });
    const taskQueue = `opareta-dr-test-build-${process.pid}`;
    const worker = await startWorkerProcess(
      { OPARETA_TASK_QUEUE: taskQueue, OPARETA_METRICS_PORT: String(18000 + (process.pid % 1000)) },
      120_000,
      'dist',
    );
    try {
      expect(worker.output()).toContain('"workflowCode":"prebuilt bundle"');
      const client = await connectClient();
      const services = await client.workflow.execute(ping, {
        taskQueue,
        workflowId: testWorkflowId('build-ping'),
        args: [{}],
        workflowExecutionTimeout: '2 minutes',
      });
      expect(services.map((s) => s.service).sort()).toEqual(['argus', 'hermes']);
      expect(services.every((s) => /^\d+/.test(s.serverVersion))).toBe(true);
    } finally {
      await worker.stop();
    }
    expect(worker.child.exitCode).toBe(0);
  }, 240_000);
});
