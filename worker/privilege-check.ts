import { createPostgresAccess, MAINTENANCE_DATABASE, workerRole } from '../activities/postgres';
import { readDatabasePassword } from '../shared/node/secrets';
import type { Topology } from '../shared/node/topology';

/**
 * At start, for each service: is the role the worker connects as, or the apps' role, a superuser? Both work (a
 * restored object never goes to a superuser: activities/restored-ownership.ts), but a superuser in the path is a
 * risk an SRE should see the day the worker starts, with the fix. Never blocks the start: a server that is down
 * now is a restore's problem later, not the worker's.
 */
export async function warnAboutSuperusers(
  topology: Topology,
  services: string[],
  log: (entry: object) => void,
): Promise<void> {
  const postgres = createPostgresAccess(readDatabasePassword);
  await Promise.all(
    services.map(async (service) => {
      const config = topology.services[service];
      try {
        const superusers = await postgres.withClient(config, MAINTENANCE_DATABASE, async (client) => {
          const { rows } = await client.query<{ rolname: string }>(
            'SELECT rolname FROM pg_roles WHERE rolsuper AND rolname = ANY($1::text[])',
            [[workerRole(config), config.user]],
          );
          return rows.map((r) => r.rolname);
        });
        if (superusers.length > 0) {
          log({
            level: 'WARN',
            message: 'superuser in the restore path',
            service,
            superusers,
            fix:
              'give the worker an operator role (services.<name>.operator, created by `opareta-dr setup-roles`) ' +
              'and make the apps\' role NOSUPERUSER: README, "Backups are untrusted input"',
          });
        }
      } catch (err) {
        log({ level: 'WARN', message: 'could not check database roles at start', service, error: String(err) });
      }
    }),
  );
}
