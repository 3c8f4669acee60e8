import type { PingServiceResult } from '../shared/workflow-types';
import { quick } from './activity-proxies';
import { loadServiceHosts } from './host-routing';

/**
 * Proves the chain client → server → worker → activity → Docker/PostgreSQL: describes every configured
 * service and runs SELECT 1 against its live database.
 */
export async function ping(_input: Record<string, never> = {}): Promise<PingServiceResult[]> {
  await loadServiceHosts();
  const services = await quick.listServices();
  return Promise.all(
    services.map(async (service) => {
      const description = await quick.describeService({ service });
      const { serverVersion } = await quick.checkConnectivity({ service });
      return {
        service,
        database: description.database,
        databaseContainer: description.databaseContainer,
        appContainers: description.appContainers,
        serverVersion,
      };
    }),
  );
}
