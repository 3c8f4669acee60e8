import {
  listBackupCatalogsInputSchema,
  type ListBackupCatalogsInput,
  type ServiceBackupCatalog,
} from '../shared/workflow-types';
import { catalogReads } from './activity-proxies';
import { loadServiceHosts } from './host-routing';
import { parseInput } from './validate';

/**
 * The backup catalog as the worker sees it: the backups live on the worker's disk, so the CLI asks here
 * instead of reading the disk of whatever machine it runs on. `{}` lists every service, newest backup first.
 */
export async function listBackupCatalogs(input: ListBackupCatalogsInput = {}): Promise<ServiceBackupCatalog[]> {
  const request = parseInput('listBackupCatalogs', listBackupCatalogsInputSchema, input);
  await loadServiceHosts();
  const services = request.service ? [request.service] : await catalogReads.listServices();
  return Promise.all(
    services.map(async (service) => {
      const [description, catalog] = await Promise.all([
        catalogReads.describeService({ service }),
        catalogReads.listBackups({ service }),
      ]);
      return { ...catalog, rpoHours: description.rpoHours };
    }),
  );
}
