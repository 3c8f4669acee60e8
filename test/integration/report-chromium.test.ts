import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { renderHtml } from '../../client/report/render';
import { inspectReportCharts, launchChromium } from '../support/chromium';

describe('drill report in a real headless Chromium', () => {
  let browser: Browser;
  beforeAll(async () => {
    browser = await launchChromium();
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
  });

  it('draws every chart with its points and its RTO/RPO line', async () => {
    const file = path.join(mkdtempSync(path.join(tmpdir(), 'opareta-report-')), 'report.html');
    const points = [1, 2, 3].flatMap((day) =>
      ['argus', 'hermes'].map((service) => ({
        workflowId: `drill-${day}`,
        service,
        startedAt: `2026-11-2${day}T03:00:00Z`,
        passed: day !== 3,
        restoreSeconds: 60 * day,
        backupAgeHours: 8 * day,
      })),
    );
    writeFileSync(
      file,
      renderHtml({
        generatedAt: new Date().toISOString(),
        since: '2026-11-01T00:00:00Z',
        rtoMinutes: 30,
        rpoHours: 24,
        points,
      }),
    );

    const charts = await inspectReportCharts(browser, file);
    expect(charts.map((c) => c.id).sort()).toEqual(['age-argus', 'age-hermes', 'restore-argus', 'restore-hermes']);
    for (const chart of charts) {
      expect(chart.width).toBeGreaterThan(300);
      expect(chart.height).toBeGreaterThan(100);
      expect(chart.points).toBe(3);
      expect(chart.limitLines).toBe(1);
      // Axis, line, red limit, green and red points, text: a drawn chart has many colours, a blank one 1-2.
      expect(chart.distinctColors).toBeGreaterThan(10);
    }
  }, 120_000);
});
