/**
 * A process that installs the worker's last-resort handlers, then misbehaves as argv[2] says; for
 * test/unit/worker/last-resort.test.ts. Prints "still alive" if it outlives the misbehaviour.
 */
import { installLastResortHandlers } from '../../worker/last-resort';

installLastResortHandlers((level, message, meta) => console.log(JSON.stringify({ level, message, ...meta })));

const mode = process.argv[2];
if (mode === 'sdk-rejection') {
  // The listener the Temporal SDK registers when a worker is created: it throws for rejections outside workflows.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { setUnhandledRejectionHandler } = require('@temporalio/worker/lib/workflow/vm-shared') as {
    setUnhandledRejectionHandler: (lookup: (runId: string) => undefined) => void;
  };
  setUnhandledRejectionHandler(() => undefined);
}
if (mode === 'rejection' || mode === 'sdk-rejection') {
  void Promise.reject(new Error('a promise nobody awaited'));
} else if (mode === 'exception') {
  setTimeout(() => {
    throw new Error('thrown in a callback');
  }, 10);
}
setTimeout(() => console.log('still alive'), 300);
