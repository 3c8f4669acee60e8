/**
 * Vitest global set-up of the `workflows` project: bundles the workflow code once per run and hands the code to
 * every test file (`sharedWorkflowBundle`). Webpack takes about 10 s of CPU per bundle here, and each of the
 * fourteen workflow and replay files used to make its own, beside the sandbox project on a 2-core machine.
 */
import type { TestProject } from 'vitest/node';
import { bundleWorkflows } from './test-server';

declare module 'vitest' {
  export interface ProvidedContext {
    workflowBundleCode: string;
  }
}

export default async function bundleOnce(project: TestProject): Promise<void> {
  project.provide('workflowBundleCode', (await bundleWorkflows()).code);
}
