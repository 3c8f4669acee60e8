import type { RestoreUnitsProgress } from '../shared/activity-contract';
import type { WorkflowProgress } from '../shared/workflow-types';
import { formatBytes, formatDuration } from './output';

const barWidth = 30;
/** The units block sits under the bar: the width of the service name column and its space. */
const unitsIndent = ' '.repeat(9);

/**
 * The step, then one bar per service: the progress query's answer with live heartbeat bytes merged in. A
 * parallel restore's connections and units follow its bar (renderUnits).
 */
export function renderProgress(progress: Pick<WorkflowProgress, 'step' | 'services'>): string {
  const lines = [`step: ${progress.step}`];
  for (const [service, p] of Object.entries(progress.services)) {
    const percent = Math.max(0, Math.min(100, p.percent));
    const filled = Math.round((percent / 100) * barWidth);
    const bar = '#'.repeat(filled) + '-'.repeat(barWidth - filled);
    const bytes = p.bytesTotal ? `${formatBytes(p.bytesDone)} / ${formatBytes(p.bytesTotal)}` : '';
    const eta = p.etaSeconds !== undefined ? `ETA ${formatDuration(p.etaSeconds)}` : '';
    const waiting = p.waitingFor ? `(waiting for ${p.waitingFor})` : '';
    lines.push(
      `${service.padEnd(8)} [${bar}] ${percent.toFixed(0).padStart(3)}% ${bytes} ${eta} ${p.step} ${waiting}`.trimEnd(),
    );
    if (p.units) lines.push(...renderUnits(p.units).map((line) => unitsIndent + line));
  }
  return lines.join('\n');
}

/**
 * A parallel restore, unit by unit: `connections 2/2 busy · units 14 done (3 skipped, resumed after public.events
 * rows #7)`, then one line per unit on a connection now, by connection:
 * `  [1] public.events rows #9  12.3 MB sent  41% ETA 6 s` (percent and ETA only when the server reports them).
 */
export function renderUnits(units: RestoreUnitsProgress): string[] {
  const notes = [
    ...(units.unitsSkipped > 0 || units.resumedFrom ? [`${units.unitsSkipped} skipped`] : []),
    ...(units.resumedFrom ? [`resumed after ${units.resumedFrom}`] : []),
  ];
  const done = `units ${units.unitsDone} done${notes.length ? ` (${notes.join(', ')})` : ''}`;
  const lines = [`connections ${units.busyConnections}/${units.jobs} busy · ${done}`];
  for (const unit of [...units.inFlight].sort((a, b) => a.connection - b.connection)) {
    const percent = unit.percent !== undefined ? `${Math.round(unit.percent)}%` : '';
    const eta = unit.etaSeconds !== undefined ? `ETA ${Math.round(unit.etaSeconds)} s` : '';
    const state = [percent, eta].filter(Boolean).join(' ');
    const cells = [`[${unit.connection}] ${unit.label}`, `${formatBytes(unit.bytesSent)} sent`, state];
    lines.push(`  ${cells.filter(Boolean).join('  ')}`);
  }
  return lines;
}
