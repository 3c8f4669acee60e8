/** A small line chart as inline SVG: no script, no network, renders in any browser or mail client. */
export interface ChartSeries {
  title: string;
  unit: string;
  points: { at: string; value: number; passed: boolean }[];
  limit: number;
  limitLabel: string;
}

const width = 640;
const height = 240;
const pad = { left: 56, right: 16, top: 28, bottom: 36 };

export function renderChart(series: ChartSeries, id: string): string {
  const points = [...series.points].sort((a, b) => a.at.localeCompare(b.at));
  const maxValue = Math.max(series.limit * 1.15, ...points.map((p) => p.value)) || 1;
  const plotW = width - pad.left - pad.right;
  const plotH = height - pad.top - pad.bottom;
  const x = (i: number) => pad.left + (points.length <= 1 ? plotW / 2 : (i * plotW) / (points.length - 1));
  const y = (v: number) => pad.top + plotH - (v / maxValue) * plotH;
  const limitY = y(series.limit).toFixed(1);
  const path = points.map((p, i) => `${i === 0 ? 'M' : 'L'}${x(i).toFixed(1)},${y(p.value).toFixed(1)}`).join(' ');
  const dots = points
    .map(
      (p, i) =>
        `<circle class="point ${p.passed ? 'pass' : 'fail'}" cx="${x(i).toFixed(1)}" cy="${y(p.value).toFixed(1)}" r="4">` +
        `<title>${escapeXml(p.at)}: ${p.value.toFixed(1)} ${escapeXml(series.unit)}</title></circle>`,
    )
    .join('');
  const ticks = [0, 0.5, 1]
    .map((f) => {
      const v = maxValue * f;
      return `<text class="tick" x="${pad.left - 6}" y="${y(v).toFixed(1)}" text-anchor="end" dominant-baseline="middle">${formatTick(v)}</text>`;
    })
    .join('');
  const first = points[0]?.at.slice(0, 10) ?? '';
  const last = points[points.length - 1]?.at.slice(0, 10) ?? '';
  return `<svg id="${escapeXml(id)}" class="chart" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" role="img" aria-label="${escapeXml(series.title)}">
<text class="title" x="${pad.left}" y="18">${escapeXml(series.title)} (${escapeXml(series.unit)})</text>
<line class="axis" x1="${pad.left}" y1="${pad.top + plotH}" x2="${width - pad.right}" y2="${pad.top + plotH}"/>
<line class="axis" x1="${pad.left}" y1="${pad.top}" x2="${pad.left}" y2="${pad.top + plotH}"/>
${ticks}
<line class="limit" x1="${pad.left}" y1="${limitY}" x2="${width - pad.right}" y2="${limitY}"/>
<text class="limit-label" x="${width - pad.right}" y="${Number(limitY) - 4}" text-anchor="end">${escapeXml(series.limitLabel)}</text>
${points.length ? `<path class="line" d="${path}"/>` : `<text class="empty" x="${width / 2}" y="${height / 2}" text-anchor="middle">no drills in this period</text>`}
${dots}
<text class="tick" x="${pad.left}" y="${height - 10}">${escapeXml(first)}</text>
<text class="tick" x="${width - pad.right}" y="${height - 10}" text-anchor="end">${escapeXml(last)}</text>
</svg>`;
}

function formatTick(v: number): string {
  return v >= 100 ? v.toFixed(0) : v.toFixed(1);
}

export function escapeXml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}
