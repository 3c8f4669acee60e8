import { rm } from 'node:fs/promises';
import path from 'node:path';
import { Client } from 'pg';
import { execFileSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PWNED_PREFIX, writeWithPayload } from '../integration/activities/backup-code/payloads';
import { useWorkerProcess } from '../support/e2e-worker';
import { backups, databasesOf, dropNewStandbys, sandboxService, standbysByService } from '../support/sandbox-db';
import { testWorkflowId, useTemporalClient } from '../support/temporal-client';
import { readDatabasePassword } from '../../shared/node/secrets';
import { restoreDrill } from '../../workflows';

/**
 * Issue 19 on the sandbox, through the real worker (which connects as opareta_operator, no superuser): the newest
 * argus backup with the backup-code payload (test/integration/activities/backup-code/payloads.ts: a shadowing
 * quote_ident, a count(*) aggregate put first on the database's search_path from an index expression, a schema
 * named like the service role, database-level state planted through EXECUTE, SECURITY DEFINER and pg_authid
 * backdoors). A nightly drill of it runs every check and nothing lands outside its scratch database: no file in the container's /tmp, no new superuser, the live database's settings unchanged, the
 * scratch database and its role gone (a kept standby keeps its non-superuser owner).
 */

const SERVICE = 'argus';
const config = sandboxService(SERVICE);
const FILE = 'argus_20200102_000001.sql.gz';
let standbysBefore: Record<string, string[]>;

async function server<T>(sql: string): Promise<T[]> {
  const client = new Client({
    host: config.host,
    port: config.port,
    user: config.operator?.user ?? config.user,
    password: readDatabasePassword(config),
    database: 'postgres',
    options: '-c search_path=pg_catalog,pg_temp',
  });
  await client.connect();
  try {
    return (await client.query(sql)).rows as T[];
  } finally {
    await client.end();
  }
}

function pwnedFiles(): string[] {
  return execFileSync('docker', ['exec', config.databaseContainer, 'ls', '-A', '/tmp'], { encoding: 'utf8' })
    .split('\n')
    .filter((f) => `/tmp/${f}`.startsWith(PWNED_PREFIX));
}

const SUPERUSERS = 'SELECT rolname FROM pg_roles WHERE rolsuper ORDER BY 1';
const LIVE_SETTINGS = `SELECT s.setrole::regrole::text AS role, s.setconfig::text AS config
  FROM pg_db_role_setting s JOIN pg_database d ON d.oid = s.setdatabase WHERE d.datname = '${config.database}'`;

const ORPHAN_RESTORE_ROLES = `SELECT rolname FROM pg_roles r WHERE starts_with(rolname, 'opareta_restore_')
  AND NOT EXISTS (SELECT 1 FROM pg_database d WHERE d.datdba = r.oid) ORDER BY 1`;

beforeAll(async () => {
  standbysBefore = await standbysByService();
  const real = (await backups(SERVICE))[0].file;
  await writeWithPayload(
    path.join(config.backupDirectory, real),
    path.join(config.backupDirectory, FILE),
    config.user,
    'public.users',
  );
});

afterAll(async () => {
  await rm(path.join(config.backupDirectory, FILE), { force: true });
  await dropNewStandbys(standbysBefore);
});

describe("a backup's code in a nightly drill on the sandbox", () => {
  const { taskQueue } = useWorkerProcess('backup-code');
  const client = useTemporalClient();

  it('runs every check, and nothing of the backup lands outside its scratch database', async () => {
    const superusersBefore = await server(SUPERUSERS);
    const settingsBefore = await server(LIVE_SETTINGS);
    const databasesBefore = await databasesOf(SERVICE);
    const orphansBefore = await server(ORPHAN_RESTORE_ROLES);
    const result = await (
      await client()
    ).workflow.execute(restoreDrill, {
      taskQueue,
      workflowId: testWorkflowId('e2e-backup-code-drill'),
      args: [{ services: [SERVICE], backup: FILE }],
    });
    const [report] = result.services;
    // The drill ran every check, and failed for two true reasons only: the planted file is dated 2020 (over the
    // RPO), and the payload's own calls at CREATE INDEX, as the restore role, wrote rows the dump did not hold.
    expect(report.cleanedUp).toBe(true);
    expect(report.verification?.checks.map((c) => [c.name, c.passed])).toEqual([
      ['connectivity', true],
      ['row counts equal the dump', false],
      ['argus has users', true],
      ['amcheck btree indexes', true],
    ]);
    expect(report.verification?.checks[1].detail).toMatch(/^public\.attempts: \d+ rows, dump has 0$/);
    expect(report.rpoMet).toBe(false);
    expect(pwnedFiles()).toEqual([]);
    expect(await server(SUPERUSERS)).toEqual(superusersBefore);
    expect(await server(LIVE_SETTINGS)).toEqual(settingsBefore);
    const made = (await databasesOf(SERVICE)).filter((d) => !databasesBefore.includes(d));
    expect(made.every((d) => d.startsWith(`${config.database}_standby_`))).toBe(true);
    // A kept standby still belongs to its throwaway restore role: no superuser, no membership.
    const owners = await server<{ owner: string; super: boolean; member: boolean }>(
      `SELECT r.rolname AS owner, r.rolsuper AS super,
              EXISTS (SELECT 1 FROM pg_auth_members m WHERE m.member = r.oid) AS member
         FROM pg_database d JOIN pg_roles r ON r.oid = d.datdba
        WHERE d.datname = ANY (ARRAY[${made.map((d) => `'${d}'`).join(',') || "''"}])`,
    );
    for (const owner of owners) expect(owner).toMatchObject({ super: false, member: false });
    // No restore role of this drill outlives its database.
    expect(await server(ORPHAN_RESTORE_ROLES)).toEqual(orphansBefore);
  }, 300_000);
});
