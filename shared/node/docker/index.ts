/** One Docker module for the activities, the sandbox, the benchmarks and the tests. It throws plain errors. */
export { docker, dockerStatus, isNotFound, NoSuchContainerError } from './client';
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
export { demultiplexLog, demuxDockerStream, DockerFrameDemuxer } from './frames';
export { containerLogs, logLinesSince, type LogSelection } from './logs';
export { waitUntilReady, type ReadinessOptions } from './readiness';
