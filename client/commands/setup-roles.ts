import type { Command } from 'commander';
import { Client } from 'pg';
import { readDatabasePassword } from '../../shared/node/secrets';
import {
  operatorRoleSetupSql,
  ownerRoleName,
  ownerRoleSetupSql,
  TEMPLATE1_SETUP_SQL,
} from '../../shared/node/server-setup';
import { settings } from '../../shared/node/settings';
import { loadTopology, type ServiceConfig } from '../../shared/node/topology';
import { action } from '../action';

export interface SetupOptions {
  superuser: string;
  service?: string[];
  dryRun?: boolean;
  /** Where the statements are printed; standard output by default. */
  say?: (line: string) => void;
}

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
        'template1 for the unprivileged checks of restored databases, and the owner role restored objects go to ' +
        "when the service's role is a superuser; prints every statement it runs",
    )
    .option('--superuser <role>', 'the superuser to connect as', 'postgres')
    .option('--service <name...>', 'only these services')
    .option('--dry-run', 'print the statements, run nothing')
    .action(
      action(async (o: SetupOptions) => {
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

/** One service's server; exported for the least-privilege tests, which set their servers up the same way. */
export async function setUpService(name: string, config: ServiceConfig, o: SetupOptions): Promise<void> {
  const say = o.say ?? ((line: string) => process.stdout.write(`${line}\n`));
  say(`-- ${name}: ${config.host}:${config.port} as ${o.superuser}`);
  say(`-- in template1:\n${TEMPLATE1_SETUP_SQL}`);
  const client = o.dryRun ? undefined : await connect(config, o.superuser, 'template1');
  try {
    await client?.query(TEMPLATE1_SETUP_SQL);
    const superuser = client
      ? (await client.query<{ s: boolean }>('SELECT rolsuper AS s FROM pg_roles WHERE rolname = $1', [config.user]))
          .rows[0]?.s === true
      : true;
    const roleExists = async (role: string) =>
      client ? ((await client.query('SELECT 1 FROM pg_roles WHERE rolname = $1', [role])).rowCount ?? 0) > 0 : false;
    const run = async (sql: string) => {
      say(`${sql};`);
      await client?.query(sql);
    };
    const memberOf = [config.user];
    if (!superuser) {
      say(`-- ${config.user} is no superuser: restored objects go to it; no owner role needed`);
    } else {
      const owner = ownerRoleName(config.user);
      say(
        `-- ${config.user} is a superuser: restored objects go to ${owner} instead (make ${config.user} NOSUPERUSER)`,
      );
      const sql = ownerRoleSetupSql(config.user);
      if (!(await roleExists(owner))) await run(sql.create);
      await run(sql.grant);
      memberOf.push(owner);
    }
    if (!config.operator) {
      say(`-- no operator in the config for ${name}: the worker connects as ${config.user}`);
      return;
    }
    const operator = operatorRoleSetupSql(config.operator.user, memberOf);
    if (!(await roleExists(config.operator.user))) await run(operator.create);
    await run(operator.alter);
    for (const grant of operator.grants) await run(grant);
    say(`ALTER ROLE ${config.operator.user} PASSWORD '***';  -- from ${config.operator.password.env}`);
    if (client) {
      const password = readDatabasePassword(config);
      await client.query(
        `ALTER ROLE "${config.operator.user.replace(/"/g, '""')}" PASSWORD ${client.escapeLiteral(password)}`,
      );
    }
  } finally {
    await client?.end();
  }
}

async function connect(config: ServiceConfig, user: string, database: string): Promise<Client> {
  const client = new Client({ host: config.host, port: config.port, user, database, connectionTimeoutMillis: 10_000 });
  await client.connect();
  return client;
}
