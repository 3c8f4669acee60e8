import type { WorkflowProgress } from '../shared/workflow-types';
import { formatBytes, formatDuration } from './output';

const barWidth = 30;

/** The step, then one bar per service: the progress query's answer with live heartbeat bytes merged in. */
export function renderProgress(progress: Pick<WorkflowProgress, 'step' | 'services'>): string {
  const lines = [`step: ${progress.step}`];
  for (const [service, p] of Object.entries(progress.services)) {
    const percent = Math.max(0, Math.min(100, p.percent));
    const filled = Math.round((percent / 100) * barWidth);
    const bar = '#'.repeat(filled) + '-'.repeat(barWidth - filled);
    const bytes = p.bytesTotal ? `${formatBytes(p.bytesDone)} / ${formatBytes(p.bytesTotal)}` : '';
    const eta = p.etaSeconds !== undefined ? `ETA ${formatDuration(p.etaSeconds)}` : '';
    lines.push(`${service.padEnd(8)} [${bar}] ${percent.toFixed(0).padStart(3)}% ${bytes} ${eta} ${p.step}`.trimEnd());
  }
  return lines.join('\n');
}
