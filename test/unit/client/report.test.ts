import { describe, expect, it } from 'vitest';
import type { DrillReport } from '../../../client/report/model';
import { reportTargets, summarize } from '../../../client/report/model';
import { renderHtml, renderMarkdown } from '../../../client/report/render';

const report: DrillReport = {
  generatedAt: '2026-11-24T08:00:00.000Z',
  since: '2026-10-25T08:00:00.000Z',
  rtoMinutes: 30,
  rpoHours: 24,
  points: [
    {
      workflowId: 'drill-1',
      service: 'argus',
      startedAt: '2026-11-22T03:00:00Z',
      passed: true,
      restoreSeconds: 120,
      backupAgeHours: 1,
    },
    {
      workflowId: 'drill-2',
      service: 'argus',
      startedAt: '2026-11-23T03:00:00Z',
      passed: true,
      restoreSeconds: 240,
      backupAgeHours: 2,
    },
    {
      workflowId: 'drill-2',
      service: 'hermes',
      startedAt: '2026-11-23T03:00:00Z',
      passed: false,
      backupAgeHours: 30,
      backupFile: 'hermes_20261122_020000.sql.gz',
      reason: 'backup is older than the RPO <24 h>',
    },
  ],
};

describe('drill report', () => {
  it('summarizes drills, failures and the worst figures per service', () => {
    expect(summarize(report)).toEqual([
      expect.objectContaining({
        service: 'argus',
        drills: 2,
        passed: 2,
        failed: 0,
        worstRestoreSeconds: 240,
        lastPassed: true,
      }),
      expect.objectContaining({ service: 'hermes', drills: 1, passed: 0, failed: 1, worstBackupAgeHours: 30 }),
    ]);
  });

  it('renders one self-contained page with two charts per service and escaped failure reasons', () => {
    const html = renderHtml(report);
    expect(html.match(/<svg /g)).toHaveLength(4);
    expect(html).toContain('id="restore-argus"');
    expect(html).toContain('RTO 30 min');
    expect(html).toContain('RPO 24 h');
    expect(html).toContain('older than the RPO &lt;24 h&gt;');
    expect(html).not.toMatch(/<script|https?:\/\/(?!www\.w3\.org)/);
  });

  it('writes a markdown summary for chat that lists failures', () => {
    const md = renderMarkdown(report);
    expect(md).toContain('| argus | 2 | 2 | 0 | 4.0 min | 2.0 h |');
    expect(md).toContain('- 2026-11-23T03:00:00Z hermes: backup is older than the RPO <24 h> (drill-2)');
  });
});

describe('RTO forecast in the report', () => {
  const warning = "projected 26 min for 41 GB at today's rate: above 80% of RTO of 30 min";
  const forecasting: DrillReport = {
    ...report,
    points: [
      ...report.points,
      {
        workflowId: 'drill-3',
        service: 'argus',
        startedAt: '2026-11-24T03:00:00Z',
        passed: true,
        restoreSeconds: 380,
        projectedRestoreSeconds: 1558,
        forecastWarning: warning,
      },
    ],
  };

  it('shows the newest projection per service and its warning, in the page and in chat', () => {
    const argus = summarize(forecasting).find((s) => s.service === 'argus');
    expect(argus).toMatchObject({ projectedRestoreSeconds: 1558, forecastWarning: warning });
    expect(summarize(report).find((s) => s.service === 'argus')?.projectedRestoreSeconds).toBeUndefined();

    const html = renderHtml(forecasting);
    expect(html).toContain('<th>Projected restore today</th>');
    expect(html).toContain('26.0 min');
    expect(html).toContain('id="forecast-warnings"');
    expect(html).toContain('argus: projected 26 min for 41 GB at today&#39;s rate');
    expect(renderMarkdown(forecasting)).toContain(`**Warning** argus: ${warning}`);
    expect(renderHtml(report)).not.toContain('forecast-warnings');
  });
});

describe('warm standby in the report', () => {
  it('shows what the newest drill did about the standby, per service, in the page and in chat', () => {
    const withStandby: DrillReport = {
      ...report,
      points: [
        ...report.points,
        {
          workflowId: 'drill-3',
          service: 'argus',
          startedAt: '2026-11-24T03:00:00Z',
          passed: true,
          standby: 'argus_db_standby_20261124030000_abcdef (argus_20261124_020000.sql.gz, 41.0 MB on disk)',
        },
      ],
    };
    const html = renderHtml(withStandby);
    expect(html).toContain('<th>Warm standby (newest drill)</th>');
    expect(html).toContain('argus_db_standby_20261124030000_abcdef (argus_20261124_020000.sql.gz, 41.0 MB on disk)');
    expect(renderMarkdown(withStandby)).toMatch(
      /\| argus_db_standby_20261124030000_abcdef \(.*41\.0 MB on disk\) \|$/m,
    );
    expect(summarize(withStandby).find((s) => s.service === 'hermes')?.standby).toBeUndefined();
  });
});

describe('report targets', () => {
  it('come from the newest drill that carries them (the worker’s topology), not from this machine', () => {
    const point = (startedAt: string, rtoMinutes?: number, rpoHours?: number) => ({
      workflowId: startedAt,
      service: 'argus',
      startedAt,
      passed: true,
      rtoMinutes,
      rpoHours,
    });
    expect(
      reportTargets([
        point('2026-11-20T03:00:00Z', 45, 12),
        point('2026-11-22T03:00:00Z', 20, 6),
        point('2026-11-23T03:00:00Z'),
      ]),
    ).toEqual({ rtoMinutes: 20, rpoHours: 6 });
    expect(reportTargets([])).toEqual({ rtoMinutes: 30, rpoHours: 24 });
  });
});
