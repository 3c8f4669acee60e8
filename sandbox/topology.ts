import { settings } from '../shared/node/settings';
import { loadTopology, type Topology } from '../shared/node/topology';

/** The sandbox topology: the configured file (config/sandbox.json by default), which must be a sandbox. */
export function loadSandboxTopology(configFile = settings.configFile): Topology {
  const topology = loadTopology(configFile);
  if (!topology.sandbox) {
    throw new Error(
      `${configFile} describes real hosts ("sandbox": false); the sandbox commands only run on a sandbox config`,
    );
  }
  return topology;
}
