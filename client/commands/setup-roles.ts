import type { Command } from 'commander';
import { setUpService, type SetupOptions } from '../../shared/node/server-setup-run';
import { settings } from '../../shared/node/settings';
import { loadTopology } from '../../shared/node/topology';
import { action } from '../action';

type SetupCommandOptions = SetupOptions & { service?: string[] };

/**
 * `opareta-dr setup-roles`: what a superuser runs once per database server so the product needs none afterwards.
 * It prints every statement before running it; --dry-run only prints. The superuser's password comes from
 * PGPASSWORD (never an argument: it would sit in the shell history and the process list).
 */
export function registerSetupRolesCommand(program: Command): void {
  program
    .command('setup-roles')
    .description(
      "one-time set-up of each service's database server, as a superuser (password from PGPASSWORD): amcheck in " +
        'template1 for the unprivileged checks of restored databases, the owner role restored objects go to when ' +
        "the service's role is a superuser, and the operator role the worker connects as (services.<name>.operator, " +
        "its password from the config's source); prints every statement it runs",
    )
    .option('--superuser <role>', 'the superuser to connect as', 'postgres')
    .option('--service <name...>', 'only these services')
    .option('--dry-run', 'print the statements, run nothing')
    .action(
      action(async (o: SetupCommandOptions) => {
        const topology = loadTopology(settings.configFile);
        const names = o.service ?? Object.keys(topology.services);
        for (const name of names) {
          const config = topology.services[name];
          if (!config) throw new Error(`unknown service ${name} (known: ${Object.keys(topology.services).join(', ')})`);
          await setUpService(name, config, o);
        }
      }),
    );
}
