import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { projectRoot } from '../../shared/node/settings';
import { loadTopology, parseTopology } from '../../shared/node/topology';

const sandboxFile = path.join(projectRoot, 'config', 'sandbox.json');
const productionFile = path.join(projectRoot, 'config', 'production.json');

function sandboxRaw(): Record<string, unknown> & { services: Record<string, Record<string, unknown>> } {
  return JSON.parse(readFileSync(sandboxFile, 'utf8'));
}

describe('topology config', () => {
  it('parses the production config with the runbook names and paths', () => {
    const topology = loadTopology(productionFile);
    expect(topology.sandbox).toBe(false);
    expect(topology.services.argus.databaseContainer).toBe('opareta-postgres-argus');
    expect(topology.services.hermes.appContainers).toEqual(['opareta-hermes-1', 'opareta-hermes-2']);
    expect(topology.services.argus.backupDirectory).toBe('/var/backups/opareta');
    // The worker connects as the operator role (no superuser), never as the apps' role.
    expect(topology.services.hermes.operator).toEqual({
      user: 'opareta_operator',
      password: { env: 'HERMES_OPERATOR_PASSWORD', file: '/run/secrets/hermes_operator_password' },
    });
  });

  it('parses the sandbox config, with paths resolved next to the file', () => {
    const topology = loadTopology(sandboxFile);
    expect(topology.sandbox).toBe(true);
    expect(topology.services.hermes.database).toBe('hermes_db');
    expect(topology.services.argus.port).toBe(55432);
    expect(topology.backupRoot).toBe(path.join(projectRoot, '.data', 'sandbox', 'backups'));
    expect(topology.services.argus.password.file).toBe(
      path.join(projectRoot, '.data', 'sandbox', 'secrets', 'argus_db_password'),
    );
  });

  it('production requires approval by two people other than the starter; the sandbox by nobody', () => {
    expect(loadTopology(productionFile).approval).toEqual({ required: true, distinctApprovers: true });
    expect(loadTopology(sandboxFile).approval).toEqual({ required: false, distinctApprovers: false });
    const raw = sandboxRaw();
    delete raw.approval;
    expect(parseTopology(raw).approval).toEqual({ required: false, distinctApprovers: false });
    raw.approval = { required: 'yes' };
    expect(() => parseTopology(raw, 'bad.json')).toThrow(/approval\.required/);
  });

  it('has the warm standby off by default, on in the sandbox, and refuses a misspelt field of it', () => {
    expect(loadTopology(sandboxFile).services.argus.standby).toEqual({ enabled: true, minFreeDiskMb: 512 });
    expect(loadTopology(productionFile).services.argus.standby).toEqual({ enabled: false, minFreeDiskMb: 2048 });
    const raw = sandboxRaw();
    raw.services.argus.standby = { enabled: true };
    expect(parseTopology(raw).services.argus.standby).toEqual({ enabled: true, minFreeDiskMb: 2048 });
    raw.services.argus.standby = { enabled: true, minFreeDiskMB: 10 };
    expect(() => parseTopology(raw, 'bad.json')).toThrow(/services\.argus\.standby.*minFreeDiskMB/);
  });

  it('rejects an unknown field and names it', () => {
    const raw = sandboxRaw();
    raw.services.argus.databse = 'argus_db';
    expect(() => parseTopology(raw, 'bad.json')).toThrow(/services\.argus.*databse/);
  });

  it('rejects a service without a database and names the field', () => {
    const raw = sandboxRaw();
    delete raw.services.hermes.database;
    expect(() => parseTopology(raw, 'bad.json')).toThrow(/services\.hermes\.database/);
  });

  it('rejects a backup directory outside the backup root and names the field', () => {
    const raw = sandboxRaw();
    raw.services.argus.backupDirectory = '../../etc';
    expect(() => parseTopology(raw, 'bad.json')).toThrow(/services\.argus\.backupDirectory: .*outside the backup root/);
  });

  it('rejects a database name that is not a plain identifier', () => {
    const raw = sandboxRaw();
    raw.services.argus.database = 'argus_db; DROP TABLE users';
    expect(() => parseTopology(raw, 'bad.json')).toThrow(/services\.argus\.database/);
  });
});
