import { summarize, type DrillReport, type ServiceSummary } from './model';
import { escapeXml as esc, renderChart } from './svg-chart';

const styles = `
body { font: 14px/1.45 system-ui, sans-serif; margin: 24px; color: #1b1f24; }
h1 { font-size: 20px; } h2 { font-size: 16px; margin-top: 28px; }
table { border-collapse: collapse; margin: 8px 0; } td, th { border: 1px solid #d0d7de; padding: 4px 8px; text-align: left; }
.charts { display: flex; flex-wrap: wrap; gap: 16px; }
.chart .axis { stroke: #57606a; } .chart .line { fill: none; stroke: #0969da; stroke-width: 2; }
.chart .limit { stroke: #cf222e; stroke-dasharray: 6 4; } .chart .limit-label { fill: #cf222e; font-size: 11px; }
.chart .point.pass { fill: #1a7f37; } .chart .point.fail { fill: #cf222e; }
.chart .title { font-size: 13px; font-weight: 600; } .chart .tick, .chart .empty { font-size: 11px; fill: #57606a; }
.pass { color: #1a7f37; } .fail { color: #cf222e; }`;

/** One self-contained HTML page: inline CSS and SVG, nothing fetched. */
export function renderHtml(report: DrillReport): string {
  const summaries = summarize(report);
  const services = summaries.map((s) => s.service);
  const charts = services
    .map((service) => {
      const points = report.points.filter((p) => p.service === service);
      const restore = renderChart(
        {
          title: `${service}: restore time per drill`,
          unit: 'minutes',
          points: points
            .filter((p) => p.restoreSeconds !== undefined)
            .map((p) => ({ at: p.startedAt, value: p.restoreSeconds! / 60, passed: p.passed })),
          limit: report.rtoMinutes,
          limitLabel: `RTO ${report.rtoMinutes} min`,
        },
        `restore-${service}`,
      );
      const age = renderChart(
        {
          title: `${service}: backup age at drill`,
          unit: 'hours',
          points: points
            .filter((p) => p.backupAgeHours !== undefined)
            .map((p) => ({ at: p.startedAt, value: p.backupAgeHours!, passed: p.passed })),
          limit: report.rpoHours,
          limitLabel: `RPO ${report.rpoHours} h`,
        },
        `age-${service}`,
      );
      return `<section class="service" data-service="${esc(service)}"><h2>${esc(service)}</h2><div class="charts">${restore}${age}</div></section>`;
    })
    .join('\n');
  const failures = report.points.filter((p) => !p.passed);
  const failureRows = failures.length
    ? failures
        .map(
          (p) =>
            `<tr><td>${esc(p.startedAt)}</td><td>${esc(p.service)}</td><td>${esc(p.backupFile ?? '-')}</td><td>${esc(p.reason ?? 'unknown')}</td><td>${esc(p.workflowId)}</td></tr>`,
        )
        .join('')
    : '<tr><td colspan="5">No failed drills in this period.</td></tr>';
  const summaryRows = summaries
    .map(
      (s) =>
        `<tr><td>${esc(s.service)}</td><td>${s.drills}</td><td class="pass">${s.passed}</td><td class="${s.failed ? 'fail' : ''}">${s.failed}</td>` +
        `<td>${s.worstRestoreSeconds === undefined ? '-' : (s.worstRestoreSeconds / 60).toFixed(1) + ' min'}</td>` +
        `<td>${s.worstBackupAgeHours === undefined ? '-' : s.worstBackupAgeHours.toFixed(1) + ' h'}</td>` +
        `<td class="${s.forecastWarning ? 'fail' : ''}">${minutes(s.projectedRestoreSeconds)}</td>` +
        `<td class="standby">${esc(s.standby ?? '-')}</td></tr>`,
    )
    .join('');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Opareta restore drills since ${esc(report.since.slice(0, 10))}</title><style>${styles}</style></head>
<body>
<h1>Opareta restore drills since ${esc(report.since.slice(0, 10))}</h1>
<p>Generated ${esc(report.generatedAt)}. Targets: RTO ${report.rtoMinutes} min, RPO ${report.rpoHours} h.</p>
<table id="summary"><tr><th>Service</th><th>Drills</th><th>Passed</th><th>Failed</th><th>Slowest restore</th><th>Oldest backup</th><th>Projected restore today</th><th>Warm standby (newest drill)</th></tr>${summaryRows || '<tr><td colspan="8">No drills in this period.</td></tr>'}</table>
${warningList(summaries)}
${charts}
<h2>Failures</h2>
<table id="failures"><tr><th>When</th><th>Service</th><th>Backup</th><th>Reason</th><th>Workflow</th></tr>${failureRows}</table>
</body></html>
`;
}

/** A short summary to paste into chat. */
export function renderMarkdown(report: DrillReport): string {
  const lines = [
    `**Opareta restore drills since ${report.since.slice(0, 10)}** (RTO ${report.rtoMinutes} min, RPO ${report.rpoHours} h)`,
    '',
    '| service | drills | passed | failed | slowest restore | oldest backup | projected restore today | warm standby |',
    '|---|---|---|---|---|---|---|---|',
  ];
  for (const s of summarize(report)) {
    const slowest = s.worstRestoreSeconds === undefined ? '-' : `${(s.worstRestoreSeconds / 60).toFixed(1)} min`;
    const oldest = s.worstBackupAgeHours === undefined ? '-' : `${s.worstBackupAgeHours.toFixed(1)} h`;
    lines.push(
      `| ${s.service} | ${s.drills} | ${s.passed} | ${s.failed} | ${slowest} | ${oldest} | ${minutes(s.projectedRestoreSeconds)} | ${s.standby ?? '-'} |`,
    );
  }
  for (const s of summarize(report))
    if (s.forecastWarning) lines.push('', `**Warning** ${s.service}: ${s.forecastWarning}`);
  const failures = report.points.filter((p) => !p.passed);
  if (failures.length) {
    lines.push('', '**Failures**');
    for (const f of failures) lines.push(`- ${f.startedAt} ${f.service}: ${f.reason ?? 'unknown'} (${f.workflowId})`);
  } else {
    lines.push('', 'No failed drills.');
  }
  return lines.join('\n') + '\n';
}

function minutes(seconds: number | undefined): string {
  return seconds === undefined ? '-' : `${(seconds / 60).toFixed(1)} min`;
}

/** Services whose restore, at the newest drill's rate and production's size today, nears the RTO. */
function warningList(summaries: ServiceSummary[]): string {
  const warned = summaries.filter((s) => s.forecastWarning);
  if (warned.length === 0) return '';
  const items = warned.map((s) => `<li class="fail">${esc(s.service)}: ${esc(s.forecastWarning!)}</li>`).join('');
  return `<ul id="forecast-warnings">${items}</ul>`;
}
