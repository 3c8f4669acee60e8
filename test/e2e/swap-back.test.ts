import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { settings } from '../../shared/node/settings';
import { loadTopology } from '../../shared/node/topology';
import { useWorkerProcess } from '../support/e2e-worker';
import { healthStatuses } from '../support/health';
import { backups, databasesOf, dropKeptDatabases, liveRowCounts, sortCounts } from '../support/sandbox-db';
import { testWorkflowId, useTemporalClient } from '../support/temporal-client';
import { restoreDatabase } from '../../workflows';

/**
 * The sandbox topology, except that hermes has a third health URL where nothing listens: every swap
 * of hermes then fails its health check, as an app that cannot start on the restored data would.
 */
function configWithUnreachableHermesHealth(): string {
  const topology = loadTopology(settings.configFile);
  const hermes = topology.services.hermes;
  const broken = {
    ...topology,
    services: {
      ...topology.services,
      hermes: { ...hermes, healthUrls: [...hermes.healthUrls, 'http://127.0.0.1:9/api/health'] },
    },
  };
  const file = path.join(mkdtempSync(path.join(tmpdir(), 'opareta-config-')), 'sandbox-unhealthy.json');
  writeFileSync(file, JSON.stringify(broken, null, 2));
  return file;
}

describe('a health failure after the swap', () => {
  const { taskQueue } = useWorkerProcess('swap-back', () => ({ OPARETA_CONFIG: configWithUnreachableHermesHealth() }));
  const client = useTemporalClient();

  it('swaps back: the live database is the one from before, the restored copy kept, apps healthy', async () => {
    const olderBackup = (await backups('hermes'))[1].file;
    const liveBefore = sortCounts(await liveRowCounts('hermes'));

    const result = await (
      await client()
    ).workflow.execute(restoreDatabase, {
      taskQueue,
      workflowId: testWorkflowId('e2e-swap-back'),
      args: [{ service: 'hermes', backup: olderBackup, healthTimeoutSeconds: 10 }],
    });

    expect(result.outcome).toBe('rolled-back');
    expect(result.rolledBack).toBe(true);
    expect(JSON.stringify(result.health?.unhealthy)).toContain('http://127.0.0.1:9/api/health');
    expect(sortCounts(await liveRowCounts('hermes'))).toEqual(liveBefore);
    expect(await healthStatuses('hermes')).toEqual([200, 200]);
    expect(result.containers.every((c) => c.state === 'running')).toBe(true);
    // The live database got its own name back; the restored copy is kept beside it (the apps may have
    // written to it after the swap), with what they wrote counted.
    const databases = await databasesOf('hermes');
    expect(databases).not.toContain(result.databases.preRestore);
    expect(databases).toContain(result.databases.failedRestore);
    expect(result.failedRestore?.database).toBe(result.databases.failedRestore);
    expect(result.failedRestore?.rowsChangedAfterSwap).toBeGreaterThanOrEqual(0);
    expect(result.detail).toContain(`kept ${result.databases.failedRestore}`);
    expect(result.compensations.length).toBeGreaterThan(0);
    await dropKeptDatabases('hermes');
  }, 300_000);
});
