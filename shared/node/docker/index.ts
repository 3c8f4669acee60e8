/** One Docker module for the activities, the sandbox, the benchmarks and the tests. It throws plain errors. */
export { docker, isNotFound } from './client';
export {
  containerState,
  inspectContainer,
  inspectImageOrUndefined,
  inspectOrUndefined,
  killContainer,
  resolveContainers,
  restartContainer,
  startContainer,
  stopContainer,
  unpauseContainer,
} from './containers';
export { execInContainer, execOrThrow, startExec, type ExecOptions, type ExecResult, type RunningExec } from './exec';
export { containerLogs, logLinesSince } from './logs';
export { waitUntilReady, type ReadinessOptions } from './readiness';
