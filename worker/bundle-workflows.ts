import { writeFile } from 'node:fs/promises';
import { bundleWorkflowCode } from '@temporalio/worker';
import { isCompiled, WORKFLOW_BUNDLE_FILE, workflowSources } from './workflow-code';

/**
 * The second half of `npm run build` (after tsc): bundles the compiled workflows and their interceptors once,
 * so the production worker starts without webpack. Run from dist/: `node dist/worker/bundle-workflows.js`.
 */
async function main(): Promise<void> {
  // From the sources the bundle would land in the project root, where a tsx worker must never pick it up.
  if (!isCompiled) throw new Error('run the compiled bundler (npm run build), not the TypeScript source');
  const { code } = await bundleWorkflowCode(workflowSources);
  await writeFile(WORKFLOW_BUNDLE_FILE, code);
  console.log(`build: workflow bundle ${WORKFLOW_BUNDLE_FILE} (${Math.round(code.length / 1024)} KiB)`);
}

main().catch((err: unknown) => {
  console.error(`build: bundling the workflows failed: ${(err as Error).stack ?? String(err)}`);
  process.exit(1);
});
