import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { Client } from 'pg';
import { createActivities } from '../../../../activities';
import type { DrActivities } from '../../../../shared/activity-contract';
import { setUpService } from '../../../../shared/node/server-setup-run';
import { TEMPLATE1_SETUP_SQL } from '../../../../shared/node/server-setup';
import type { Topology } from '../../../../shared/node/topology';
import { inspectContainer } from '../../../../shared/node/docker';
import {
  docker,
  dumpToFile,
  execText,
  PASSWORD,
  query,
  tempDirectory,
  testTopology,
  type PostgresContainer,
} from '../helpers';
import { readDump, writeDump } from '../hostile-dumps/corpus';

export const CANARY_ROLE = 'canary_role';
export const CANARY_PASSWORD = 'canary-password';
export const OPERATOR = 'opareta_operator';
export const PWNED_PREFIX = '/tmp/pwned-';

/**
 * A PostgreSQL 15 server (the sandbox image) set up as production should be (`opareta-dr setup-roles`): the
 * superuser `postgres` for the set-up only, `shop` a NOSUPERUSER owner of shop_db, the operator role the worker
 * connects as (CREATEDB, CREATEROLE, pg_signal_backend, pg_read_all_stats, pg_read_all_data, member of shop), and
 * an unrelated login role `canary_role`. `extraArgs`: more `-c name=value` for the server (the standby test asks
 * for a short autovacuum_naptime, so the test does not wait a minute for what autovacuum does anyway).
 */
export interface RedteamServer {
  server: PostgresContainer;
  shop: PostgresContainer;
  backups: { path: string; remove(): Promise<void> };
  topology: Topology;
  activities: DrActivities;
}

export async function startServer(label: string, extraArgs: string[] = []): Promise<PostgresContainer> {
  const name = `opareta-acttest-redteam-${label}-${randomBytes(3).toString('hex')}`;
  const container = await docker.createContainer({
    name,
    Image: 'opareta-sandbox-postgres:15',
    Env: ['POSTGRES_USER=postgres', `POSTGRES_PASSWORD=${PASSWORD}`, 'POSTGRES_DB=postgres'],
    Cmd: ['postgres', '-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off', ...extraArgs],
    ExposedPorts: { '5432/tcp': {} },
    HostConfig: { PortBindings: { '5432/tcp': [{ HostIp: '127.0.0.1', HostPort: '' }] }, Init: true },
  });
  await container.start();
  const info = await inspectContainer(name);
  const port = Number(info.NetworkSettings.Ports['5432/tcp'][0].HostPort);
  const pg = { name, port, user: 'postgres', database: 'postgres' };
  const deadline = Date.now() + 60_000;
  for (;;) {
    try {
      await query(pg, 'SELECT 1');
      break;
    } catch (err) {
      if (Date.now() > deadline) throw err;
      await new Promise((r) => setTimeout(r, 300));
    }
  }
  await query(pg, TEMPLATE1_SETUP_SQL, 'template1');
  return pg;
}

/**
 * The server, shop_db seeded and dumped, `payload` put before the dump's closing line, the file written as
 * `file`, the service set up with the operator (or with `shop` a superuser and no operator: `legacy`).
 */
export async function operatorServer(
  label: string,
  file: string,
  payload: string,
  options: { legacy?: boolean; extraArgs?: string[]; shopAttributes?: string } = {},
): Promise<RedteamServer> {
  const backups = await tempDirectory(`redteam-${label}`);
  const server = await startServer(label, options.extraArgs);
  const attributes = options.legacy ? 'SUPERUSER' : `NOSUPERUSER ${options.shopAttributes ?? ''}`;
  await query(server, `CREATE ROLE shop LOGIN ${attributes} PASSWORD '${PASSWORD}'`);
  await query(server, `CREATE ROLE ${CANARY_ROLE} LOGIN PASSWORD '${CANARY_PASSWORD}'`);
  await query(server, 'CREATE DATABASE shop_db OWNER shop');
  const shop = { ...server, user: 'shop', database: 'shop_db' };
  await query(
    shop,
    `CREATE TABLE customers (id serial PRIMARY KEY, email text UNIQUE NOT NULL);
     CREATE TABLE orders (id bigserial PRIMARY KEY, customer_id int REFERENCES customers(id), amount bigint);
     INSERT INTO customers (email) SELECT 'c' || g || '@example.com' FROM generate_series(1, 300) g;
     INSERT INTO orders (customer_id, amount) SELECT (g % 300) + 1, g FROM generate_series(1, 900) g;`,
  );
  const real = path.join(backups.path, 'real.sql.gz');
  await dumpToFile(shop, real);
  const dump = await readDump(real);
  const end = dump.lastIndexOf('-- PostgreSQL database dump complete');
  await writeDump(path.join(backups.path, file), `${dump.slice(0, end)}${payload}\n${dump.slice(end)}`);
  const topology = testTopology({
    pg: shop,
    backupDirectory: backups.path,
    operator: options.legacy ? undefined : OPERATOR,
    verification: [{ name: 'shop has customers', countSql: 'SELECT count(*) FROM public.customers', atLeast: 1 }],
  });
  process.env.PGPASSWORD = PASSWORD;
  try {
    await setUpService('shop', topology.services.shop, { superuser: 'postgres', say: () => undefined });
  } finally {
    delete process.env.PGPASSWORD;
  }
  return { server, shop, backups, topology, activities: createActivities({ topology }) };
}

/** Files in the server container's /tmp that a privileged run of the backup's code would have left. */
export async function pwnedFiles(pg: PostgresContainer): Promise<string[]> {
  const tmp = await execText(pg.name, ['ls', '-A', '/tmp']);
  return tmp
    .split('\n')
    .filter(Boolean)
    .filter((f) => `/tmp/${f}`.startsWith(PWNED_PREFIX));
}

/** A session as any role with a password, on any database of the server. */
export async function asRole<T>(
  pg: PostgresContainer,
  user: string,
  password: string,
  database: string,
  sql: string,
): Promise<T[]> {
  const client = new Client({ host: '127.0.0.1', port: pg.port, user, password, database });
  await client.connect();
  try {
    return (await client.query(sql)).rows as T[];
  } finally {
    await client.end();
  }
}

/**
 * What the backup's code tries with whatever rights reach it: records who ran it, then (for a role with
 * CREATEROLE, as PostgreSQL 15 allows) makes itself a member of pg_execute_server_program and runs a shell
 * command by COPY TO PROGRAM, then tries to make the canary a superuser. Each try is caught. The words the dump
 * reader looks for are split, as an attacker would.
 */
export const PWN_FUNCTION = `
CREATE TABLE public.attempts (tag text, who text, super boolean, at timestamptz DEFAULT pg_catalog.clock_timestamp());
GRANT ALL ON public.attempts TO PUBLIC;

CREATE FUNCTION public.pwn(tag text) RETURNS boolean LANGUAGE plpgsql AS $pwn$
BEGIN
  BEGIN
    INSERT INTO public.attempts (tag, who, super)
      SELECT tag, current_user, rolsuper FROM pg_catalog.pg_roles WHERE rolname = current_user;
  EXCEPTION WHEN OTHERS THEN NULL;
  END;
  BEGIN
    EXECUTE 'GRANT pg_execute_server_' || 'program TO ' || pg_catalog.quote_ident(current_user);
  EXCEPTION WHEN OTHERS THEN NULL;
  END;
  BEGIN
    EXECUTE pg_catalog.format('COPY (SELECT 1) TO PROG' || 'RAM %L', 'id > ${PWNED_PREFIX}' || tag);
  EXCEPTION WHEN OTHERS THEN NULL;
  END;
  BEGIN
    EXECUTE 'ALTER ROLE ${CANARY_ROLE} SUPERUSER';
  EXCEPTION WHEN OTHERS THEN NULL;
  END;
  RETURN true;
END
$pwn$;
`;
