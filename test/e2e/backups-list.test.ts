import { mkdtempSync, readdirSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { ServiceBackupCatalog } from '../../shared/workflow-types';
import { runCli } from '../support/cli';
import { useWorkerProcess } from '../support/e2e-worker';
import { sandboxService } from '../support/sandbox-db';

const SERVICES = ['argus', 'hermes'];

/** The backups as they are on the worker's disk, read here directly: name and size, by the sandbox's naming. */
function filesOnWorkerDisk(service: string): { file: string; sizeBytes: number }[] {
  const directory = sandboxService(service).backupDirectory;
  const named = new RegExp(`^${service}_\\d{8}_\\d{6}\\.sql\\.gz$`);
  return readdirSync(directory)
    .filter((file) => named.test(file) && statSync(path.join(directory, file)).isFile())
    .map((file) => ({ file, sizeBytes: statSync(path.join(directory, file)).size }))
    .sort((a, b) => a.file.localeCompare(b.file));
}

describe('opareta-dr backups list, from a machine other than the worker’s', () => {
  const { env } = useWorkerProcess('backups-list');
  // An SRE's laptop: an empty folder, no .data beside it, and no topology file at all (OPARETA_CONFIG points
  // at nothing), so anything the CLI lists came from the worker through Temporal.
  const elsewhere = mkdtempSync(path.join(tmpdir(), 'opareta-sre-laptop-'));
  const laptopEnv = { ...env, OPARETA_CONFIG: path.join(elsewhere, 'no-topology-here.json') };

  it('--json lists exactly the files in the worker’s backup directories, with their sizes', async () => {
    expect(readdirSync(elsewhere)).toEqual([]);
    const run = await runCli(['backups', 'list', '--json'], laptopEnv, 120_000, elsewhere);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const catalogs = JSON.parse(run.stdout) as ServiceBackupCatalog[];
    expect(catalogs.map((c) => c.service)).toEqual(SERVICES);
    for (const catalog of catalogs) {
      expect(catalog.directory).toBe(sandboxService(catalog.service).backupDirectory);
      const listed = catalog.backups.map((b) => ({ file: b.file, sizeBytes: b.sizeBytes }));
      const onDisk = filesOnWorkerDisk(catalog.service).filter((f) => !catalog.malformed.includes(f.file));
      expect(onDisk.length).toBeGreaterThanOrEqual(2);
      expect(listed.sort((a, b) => a.file.localeCompare(b.file))).toEqual(onDisk);
    }
  }, 120_000);

  it('prints each service with the worker’s directory and its newest backup first', async () => {
    const run = await runCli(['backups', 'list', '--service', 'hermes'], laptopEnv, 120_000, elsewhere);
    expect(run.code).toBe(0);
    const newest = filesOnWorkerDisk('hermes').at(-1)!.file;
    const lines = run.stdout.split('\n');
    expect(lines[0]).toBe(`hermes (${sandboxService('hermes').backupDirectory})`);
    expect(lines[1]).toMatch(/^FILE\s+TAKENAT\s+AGE\s+SIZE$/);
    expect(lines[2].startsWith(newest)).toBe(true);
    expect(run.stdout).not.toContain('argus');
  }, 120_000);

  it('an unknown service is bad input (exit 2), named by the worker', async () => {
    const run = await runCli(['backups', 'list', '--service', 'nosuch'], laptopEnv, 120_000, elsewhere);
    expect(run.code).toBe(2);
    expect(run.stderr.trim()).toBe('opareta-dr: unknown service "nosuch"; known: argus, hermes');
  }, 120_000);

  it('says so when no worker polls the task queue (exit 3)', async () => {
    const taskQueue = `opareta-dr-test-nobody-${process.pid}`;
    const args = ['backups', 'list', '--timeout', '3'];
    const run = await runCli(args, { ...laptopEnv, OPARETA_TASK_QUEUE: taskQueue }, 120_000, elsewhere);
    expect(run.code).toBe(3);
    expect(run.stderr).toContain(`opareta-dr: no worker polled task queue ${taskQueue} within 3 s`);
  }, 120_000);
});
