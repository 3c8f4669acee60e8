import { Client } from 'pg';
import { readDatabasePassword } from './secrets';
import { operatorRoleSetupSql, ownerRoleName, ownerRoleSetupSql, TEMPLATE1_SETUP_SQL } from './server-setup';
import type { ServiceConfig } from './topology';

export interface SetupOptions {
  /** The superuser to connect as. */
  superuser: string;
  /** Its password; PGPASSWORD (libpq's convention) when unset. */
  password?: string;
  dryRun?: boolean;
  /** Where the statements are printed; standard output by default. */
  say?: (line: string) => void;
}

/**
 * The one-time set-up of one service's server, as a superuser (`opareta-dr setup-roles`, and `sandbox up`):
 * every statement is printed before it runs (the operator's password as ***). Idempotent.
 */
export async function setUpService(name: string, config: ServiceConfig, o: SetupOptions): Promise<void> {
  const say = o.say ?? ((line: string) => process.stdout.write(`${line}\n`));
  say(`-- ${name}: ${config.host}:${config.port} as ${o.superuser}`);
  say(`-- in template1:\n${TEMPLATE1_SETUP_SQL}`);
  const client = o.dryRun ? undefined : await connect(config, o.superuser, o.password, 'template1');
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

async function connect(
  config: ServiceConfig,
  user: string,
  password: string | undefined,
  database: string,
): Promise<Client> {
  const client = new Client({
    host: config.host,
    port: config.port,
    user,
    password,
    database,
    connectionTimeoutMillis: 10_000,
  });
  await client.connect();
  return client;
}
