import { existsSync } from 'node:fs';
import path from 'node:path';
import type { WorkerOptions } from '@temporalio/worker';

/** Whether this is the compiled worker (dist/worker/*.js) rather than the sources run through tsx. */
export const isCompiled = path.extname(__filename) === '.js';

/** Where `npm run build` writes the prebundled workflow code: beside the compiled worker, in dist/. */
export const WORKFLOW_BUNDLE_FILE = path.join(__dirname, '..', 'workflow-bundle.js');

/** The workflow code and its interceptors, as the bundler and the worker both need them. */
export const workflowSources = {
  workflowsPath: require.resolve('../workflows'),
  workflowInterceptorModules: [require.resolve('./metrics/workflow-metrics')],
};

/**
 * The compiled worker (dist/) loads the bundle the build made: no webpack run at start. From the sources
 * (tsx, tests) there is no bundle beside the worker, and the SDK bundles the workflows itself, as before.
 */
export function workflowCodeOptions(): Pick<WorkerOptions, 'workflowBundle' | 'workflowsPath'> & {
  workflowModules?: string[];
  source: 'prebuilt bundle' | 'bundled at start';
} {
  if (isCompiled && existsSync(WORKFLOW_BUNDLE_FILE)) {
    return { workflowBundle: { codePath: WORKFLOW_BUNDLE_FILE }, source: 'prebuilt bundle' };
  }
  return {
    workflowsPath: workflowSources.workflowsPath,
    workflowModules: workflowSources.workflowInterceptorModules,
    source: 'bundled at start',
  };
}
