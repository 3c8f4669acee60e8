import { readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { containerLogs, docker, startContainer } from '../../shared/node/docker';
import { httpStatus } from '../../sandbox/http-status';
import { backupFileName, backupService, listSandboxBackups, loadSandboxTopology, sandboxUp } from '../../sandbox';

const topology = loadSandboxTopology();
const quiet = () => undefined;

const healthStatus = (url: string) => httpStatus(url);

/** Polls until every URL answers `status`; returns the statuses seen last. */
async function waitForStatus(urls: string[], status: number, timeoutMs: number): Promise<number[]> {
  const deadline = Date.now() + timeoutMs;
  let seen: number[] = [];
  while (Date.now() < deadline) {
    seen = await Promise.all(urls.map(healthStatus));
    if (seen.every((s) => s === status)) return seen;
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  return seen;
}

/** Rows of one table's COPY block in a plain dump. */
function copyRows(dump: string, table: string): number {
  const start = dump.indexOf(`COPY public.${table} (`);
  if (start < 0) return -1;
  const body = dump.slice(dump.indexOf('\n', start) + 1, dump.indexOf('\n\\.\n', start));
  return body ? body.split('\n').length : 0;
}

describe('sandbox stack', () => {
  beforeAll(async () => {
    await sandboxUp({ topology, log: quiet });
  }, 300_000);

  it('runs the runbook containers once each, labelled as compose services', async () => {
    await sandboxUp({ topology, log: quiet });
    const containers = await docker().listContainers({
      all: true,
      // This sandbox's containers (a bench stack carries the same compose project label).
      filters: { label: ['com.docker.compose.project=opareta', `org.opareta.sandbox=${topology.name}`] },
    });
    const names = containers.flatMap((c) => c.Names.map((n) => n.replace(/^\//, ''))).sort();
    expect(names).toEqual([
      'opareta-argus-1',
      'opareta-argus-2',
      'opareta-hermes-1',
      'opareta-hermes-2',
      'opareta-postgres-argus',
      'opareta-postgres-hermes',
    ]);
    const argusDb = containers.find((c) => c.Names.includes('/opareta-postgres-argus'));
    expect(argusDb?.Labels['com.docker.compose.service']).toBe('postgres-argus');
    expect(containers.every((c) => c.State === 'running')).toBe(true);
  }, 120_000);

  it('answers 200 on all four health endpoints', async () => {
    const urls = Object.values(topology.services).flatMap((s) => s.healthUrls);
    expect(urls).toHaveLength(4);
    expect(await Promise.all(urls.map(healthStatus))).toEqual([200, 200, 200, 200]);
  });

  it('turns hermes health to 503 while its database is stopped and back to 200 after it starts', async () => {
    const hermes = topology.services.hermes;
    const database = docker().getContainer(hermes.databaseContainer);
    try {
      await database.stop();
      expect(await waitForStatus(hermes.healthUrls, 503, 60_000)).toEqual([503, 503]);
      expect(await Promise.all(topology.services.argus.healthUrls.map(healthStatus))).toEqual([200, 200]);
      const logs = await containerLogs(hermes.appContainers[0], { tail: 50 });
      expect(logs).toContain('database connection error');
    } finally {
      await database.start().catch(() => undefined);
    }
    expect(await waitForStatus(hermes.healthUrls, 200, 90_000)).toEqual([200, 200]);
  }, 180_000);

  it('leaves at least two backup generations per service, with different data and times', async () => {
    for (const [service, config] of Object.entries(topology.services)) {
      const files = await listSandboxBackups(service, config);
      expect(files.length).toBeGreaterThanOrEqual(2);
      const [older, newer] = [files[files.length - 2], files[files.length - 1]];
      expect(path.basename(older)).not.toBe(path.basename(newer));
      const table = service === 'argus' ? 'users' : 'transactions';
      const olderRows = copyRows(gunzipSync(readFileSync(older)).toString('utf8'), table);
      const newerRows = copyRows(gunzipSync(readFileSync(newer)).toString('utf8'), table);
      expect(olderRows).toBeGreaterThan(0);
      expect(newerRows).toBeGreaterThan(olderRows);
    }
  });

  it('writes a real gzipped pg_dump under the naming convention, ending with the completion comment', async () => {
    const timestamp = new Date('2001-02-03T04:05:06Z');
    const result = await backupService('hermes', { topology, timestamp });
    try {
      expect(path.basename(result.file)).toBe('hermes_20010203_040506.sql.gz');
      expect(path.dirname(result.file)).toBe(topology.services.hermes.backupDirectory);
      const raw = readFileSync(result.file);
      expect(raw.subarray(0, 2)).toEqual(Buffer.from([0x1f, 0x8b]));
      const dump = gunzipSync(raw).toString('utf8');
      expect(dump).toMatch(/^--\n-- PostgreSQL database dump\n/);
      expect(dump).toMatch(/^\\restrict \S+$/m);
      expect(dump).toContain('CREATE TABLE public.ledger_entries');
      // pg_dump 15.14+ closes with the completion comment followed only by the \unrestrict line.
      const tail = dump.slice(dump.lastIndexOf('-- PostgreSQL database dump complete'));
      expect(tail).toMatch(/^-- PostgreSQL database dump complete\n--\n\n\\unrestrict \S+\n\n?$/);
      expect(copyRows(dump, 'ledger_entries')).toBeGreaterThan(0);
    } finally {
      rmSync(result.file, { force: true });
    }
  }, 120_000);

  it('refuses to overwrite an existing backup and leaves no partial file behind', async () => {
    const config = topology.services.argus;
    const existing = (await listSandboxBackups('argus', config)).at(-1)!;
    const stamp = path.basename(existing).match(/_(\d{8})_(\d{6})\./)!;
    const iso = `${stamp[1].slice(0, 4)}-${stamp[1].slice(4, 6)}-${stamp[1].slice(6)}T${stamp[2].slice(0, 2)}:${stamp[2].slice(2, 4)}:${stamp[2].slice(4)}Z`;
    expect(backupFileName(config.backupPattern, 'argus', new Date(iso))).toBe(path.basename(existing));
    await expect(backupService('argus', { topology, timestamp: new Date(iso) })).rejects.toThrow(/already exists/);
  });
});

afterAll(async () => {
  // The hermes database must be running for whoever tests next, whatever happened above.
  await startContainer(topology.services.hermes.databaseContainer).catch(() => undefined);
});
