import { formatBytes, formatDuration } from './output';

/** What the workflows' `progress` query returns (workflows/definitions.ts), as far as the CLI reads it. */
export interface ProgressView {
  step: string;
  services?: Record<
    string,
    { step?: string; bytesDone?: number; bytesTotal?: number; percent?: number; etaSeconds?: number }
  >;
}

const barWidth = 30;

export function renderProgress(progress: ProgressView): string {
  const lines = [`step: ${progress.step}`];
  for (const [service, p] of Object.entries(progress.services ?? {})) {
    const percent = Math.max(0, Math.min(100, p.percent ?? 0));
    const filled = Math.round((percent / 100) * barWidth);
    const bar = '#'.repeat(filled) + '-'.repeat(barWidth - filled);
    const bytes = p.bytesTotal ? `${formatBytes(p.bytesDone ?? 0)} / ${formatBytes(p.bytesTotal)}` : '';
    const eta = p.etaSeconds !== undefined ? `ETA ${formatDuration(p.etaSeconds)}` : '';
    lines.push(
      `${service.padEnd(8)} [${bar}] ${percent.toFixed(0).padStart(3)}% ${bytes} ${eta} ${p.step ?? ''}`.trimEnd(),
    );
  }
  return lines.join('\n');
}
