import { execFileSync } from 'node:child_process';
import { CONTAINER_PREFIX as ACTIVITY_TEST_PREFIX } from '../integration/activities/helpers';
import { describe, expect, it } from 'vitest';
import type { RestoreDrillInput } from '../../shared/workflow-types';
import { plantTruncatedLatest } from '../support/broken-backup';
import { useWorkerProcess } from '../support/e2e-worker';
import { backups, databaseBytes, databasesOf, liveRowCounts, sortCounts } from '../support/sandbox-db';
import { testWorkflowId, useTemporalClient } from '../support/temporal-client';
import { restoreDrill } from '../../workflows';

/**
 * Every container but the throwaway ones of the activity tests (`opareta-acttest-*`), which npm test runs beside
 * this file and which come and go on their own schedule.
 */
function containerNames(): string[] {
  return execFileSync('docker', ['ps', '-a', '--format', '{{.Names}}'], { encoding: 'utf8' })
    .split('\n')
    .filter((name) => name && !name.startsWith(ACTIVITY_TEST_PREFIX))
    .sort();
}

describe('restoreDrill on the sandbox', () => {
  const { taskQueue } = useWorkerProcess('drill');
  const client = useTemporalClient();
  const drill = async (input: RestoreDrillInput) =>
    (await client()).workflow.execute(restoreDrill, {
      taskQueue,
      workflowId: testWorkflowId('e2e-drill'),
      args: [input],
    });

  it('with {} passes for every service and leaves no scratch database or container behind', async () => {
    const containersBefore = containerNames();
    const liveBefore = { argus: await liveRowCounts('argus'), hermes: await liveRowCounts('hermes') };

    const result = await drill({});

    expect(result.passed).toBe(true);
    expect(result.services.map((s) => s.service).sort()).toEqual(['argus', 'hermes']);
    for (const report of result.services) {
      expect(report.passed).toBe(true);
      expect(report.backupFile).toBe((await backups(report.service))[0].file);
      expect(report.rtoMet).toBe(true);
      expect(report.rpoMet).toBe(true);
      expect(report.verification?.passed).toBe(true);
      expect(report.cleanedUp).toBe(true);
      expect(await databasesOf(report.service)).not.toContain(report.scratchDatabase);
      // The sandbox keeps the verified scratch database as the warm standby (dropped after this file).
      expect(report.standby?.kept).toBe(true);
      expect(await databasesOf(report.service)).toContain(report.standby?.database);
      // The RTO forecast: the drill's rate applied to the live database's size, measured on the real server.
      const forecast = report.forecast!;
      // Within 10%: autovacuum may change the live files between the drill and this read.
      const liveNow = await databaseBytes(report.service);
      expect(Math.abs(forecast.liveBytes - liveNow)).toBeLessThan(liveNow * 0.1);
      expect(forecast.restoredBytes).toBeGreaterThan(1024 * 1024);
      expect(forecast.dumpBytes).toBeGreaterThan(0);
      expect(forecast.restoreSeconds).toBe(report.restoreSeconds);
      const expected = (report.restoreSeconds! * forecast.liveBytes) / forecast.restoredBytes;
      expect(forecast.projectedSeconds).toBeCloseTo(expected, 0);
      expect(forecast.warning).toBeUndefined();
    }
    expect(containerNames()).toEqual(containersBefore);
    // A drill never touches live data.
    expect(sortCounts(await liveRowCounts('argus'))).toEqual(sortCounts(liveBefore.argus));
    expect(sortCounts(await liveRowCounts('hermes'))).toEqual(sortCounts(liveBefore.hermes));
  }, 300_000);

  it('with the newest hermes backup truncated falls back and names the broken file', async () => {
    const previousLatest = (await backups('hermes'))[0].file;
    const truncated = await plantTruncatedLatest('hermes');
    try {
      const result = await drill({ services: ['hermes'] });
      const hermes = result.services.find((s) => s.service === 'hermes')!;
      expect(hermes.brokenBackups.map((b) => b.file)).toEqual([truncated.file]);
      expect(hermes.brokenBackups[0].errorType).toBe('BackupTruncated');
      expect(hermes.fallbackFrom).toBe(truncated.file);
      expect(hermes.backupFile).toBe(previousLatest);
      expect(hermes.cleanedUp).toBe(true);
    } finally {
      await truncated.remove();
    }
  }, 300_000);
});
