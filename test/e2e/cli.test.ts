import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { rm } from 'node:fs/promises';
import { describe, expect, it, onTestFinished } from 'vitest';
import type { BackupCatalog } from '../../shared/activity-contract';
import type { RestoreDrillResult } from '../../shared/workflow-types';
import { writeSyntheticDump } from '../integration/activities/helpers';
import { sandboxService } from '../support/sandbox-db';
import { inspectReportCharts, launchChromium } from '../support/chromium';
import { runCli } from '../support/cli';
import { useWorkerProcess } from '../support/e2e-worker';

/** A hermes backup that holds its restore half-way (writeSyntheticDump's gate), dated 2020: never the latest. */
const GATED_BACKUP = 'hermes_20200104_000000.sql.gz';

describe('the opareta-dr CLI against the running product', () => {
  const { env } = useWorkerProcess('cli');

  it('backups list --json lists both services with at least two generations each', async () => {
    const run = await runCli(['backups', 'list', '--json'], env);
    expect(run.code).toBe(0);
    const catalogs = JSON.parse(run.stdout) as BackupCatalog[];
    expect(catalogs.map((c) => c.service).sort()).toEqual(['argus', 'hermes']);
    for (const catalog of catalogs) {
      expect(catalog.backups.length).toBeGreaterThanOrEqual(2);
      expect(new Set(catalog.backups.map((b) => b.takenAt)).size).toBe(catalog.backups.length);
    }
  }, 120_000);

  it('sandbox status --json shows every container running and healthy', async () => {
    const run = await runCli(['sandbox', 'status', '--json'], env);
    expect(run.code).toBe(0);
    const containers = JSON.parse(run.stdout) as { name: string; state: string; health: string }[];
    expect(containers).toHaveLength(6);
    expect(containers.every((c) => c.state === 'running' && c.health === 'healthy')).toBe(true);
  }, 120_000);

  it('answers bad input with one clear line and a meaningful exit code', async () => {
    const missing = await runCli(['restore'], env);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain("missing required argument 'service'");

    for (const args of [
      ['restore', 'nosuch'],
      ['restore', 'nosuch', '--dry-run', '--wait'],
      ['drill', '--service', 'nosuch'],
    ]) {
      const unknown = await runCli(args, env);
      expect(unknown.code).toBe(2);
      const lines = unknown.stderr.split('\n').filter((line) => line.startsWith('opareta-dr:'));
      expect(lines).toEqual(['opareta-dr: unknown service "nosuch"; known: argus, hermes']);
    }

    for (const interval of ['abc', '0']) {
      const status = await runCli(['status', 'restore-argus', '--interval', interval], env);
      expect(status.code).toBe(2);
      expect(status.stderr.trim()).toBe(
        `opareta-dr: --interval must be a number of seconds greater than 0, e.g. 2 or 0.5; got "${interval}"`,
      );
    }
    const limit = await runCli(['history', '--limit', 'abc'], env);
    expect(limit.code).toBe(2);
    expect(limit.stderr.trim()).toBe('opareta-dr: --limit must be a whole number from 1 to 10000; got "abc"');

    const timeout = await runCli(['restore', 'argus', '--require-approval', '--approval-timeout', '1e300'], env);
    expect(timeout.code).toBe(2);
    expect(timeout.stderr).toContain('approvalTimeout: must be a duration');
  }, 120_000);

  it('drill --wait --json passes, then report --out writes a page whose charts render in Chromium', async () => {
    const drill = await runCli(['drill', '--wait', '--json'], env);
    expect(drill.code).toBe(0);
    const result = JSON.parse(drill.stdout) as RestoreDrillResult;
    expect(result.passed).toBe(true);

    const out = path.join(mkdtempSync(path.join(tmpdir(), 'opareta-cli-report-')), 'r.html');
    const report = await runCli(['report', '--since', '1d', '--out', out], env);
    expect(report.code).toBe(0);
    const browser = await launchChromium();
    try {
      const charts = await inspectReportCharts(browser, out);
      const restoreArgus = charts.find((c) => c.id === 'restore-argus')!;
      expect(restoreArgus.points).toBeGreaterThanOrEqual(1);
      expect(restoreArgus.limitLines).toBe(1);
      expect(restoreArgus.distinctColors).toBeGreaterThan(10);
      expect(charts.map((c) => c.id)).toEqual(expect.arrayContaining(['restore-hermes', 'age-argus', 'age-hermes']));
    } finally {
      await browser.close();
    }
  }, 300_000);

  it('the worker’s Prometheus endpoint carries our metrics after a drill', async () => {
    const response = await fetch(`http://127.0.0.1:${env.OPARETA_METRICS_PORT}/metrics`);
    const text = await response.text();
    expect(response.status).toBe(200);
    expect(text).toMatch(/opareta_drill_outcomes\S*\{[^}]*outcome="passed"[^}]*\} [1-9]/);
    expect(text).toMatch(/opareta_restore_bytes\S*\{[^}]*service="hermes"[^}]*\} [1-9]/);
    expect(text).toContain('opareta_drill_restore_duration_seconds');
    // The SDK's own metrics are on the same endpoint.
    expect(text).toMatch(/temporal_\w+/);
  }, 60_000);

  it('status --watch shows step, bytes, percent and ETA during a large restore', async () => {
    // Held half-way for 8 s by a pg_sleep between two COPY blocks: the watch sees a percent between 0 and 100 on
    // any machine, however fast it restores. (The drill then fails its service checks: not what is watched here.)
    const gated = path.join(sandboxService('hermes').backupDirectory, GATED_BACKUP);
    await writeSyntheticDump(gated, 600_000, 'public.events', 300_000, 8);
    onTestFinished(() => rm(gated, { force: true }));
    const start = await runCli(['drill', '--service', 'hermes', '--backup', GATED_BACKUP, '--json'], env);
    expect(start.code).toBe(0);
    const { workflowId } = JSON.parse(start.stdout) as { workflowId: string };

    const watch = await runCli(['status', workflowId, '--watch', '--interval', '0.5'], env);
    const bars = watch.stdout.split('\n').filter((line) => /^hermes\s+\[[#-]{30}\]\s+\d+%/.test(line));
    const percents = bars.map((line) => Number(/\]\s+(\d+)%/.exec(line)![1]));
    expect(percents.some((p) => p > 0 && p < 100)).toBe(true);
    expect(bars.some((line) => /MB \/ \d+(\.\d)? MB ETA \d/.test(line))).toBe(true);
    expect(watch.stdout).toContain(`restoreDrill ${workflowId}`);
  }, 600_000);
});
