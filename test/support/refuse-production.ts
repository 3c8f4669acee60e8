import { settings } from '../../shared/node/settings';
import { loadTopology } from '../../shared/node/topology';

/**
 * The sandbox project's global set-up: its end-to-end files kill containers, restore, swap and drop databases and
 * plant hostile dumps, under the names of the configured topology. Against anything but a sandbox config
 * (`"sandbox": true`, as config/sandbox.json) they must not run at all: the whole project stops here, saying why.
 */
export default function refuseProduction(): void {
  const topology = loadTopology(settings.configFile);
  if (topology.sandbox !== true) {
    throw new Error(
      `refusing to run the sandbox project against ${settings.configFile} (topology ${topology.name}): it is not a ` +
        'sandbox config ("sandbox": true); its end-to-end files kill containers, restore and drop databases',
    );
  }
}
