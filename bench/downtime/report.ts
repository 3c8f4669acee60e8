import type { FullSystemRestoreResult } from '../../shared/workflow-types';

/** One full-system restore at one data scale, as the workflow reported it. */
export interface ScaleMeasurement {
  scale: number;
  /** Plain SQL in the chosen backups of all services (the dump scanner's count). */
  sqlBytes: number;
  gzipBytes: number;
  generateSeconds: number;
  backupSeconds: number;
  /** Worker processes that died while this restore ran (0 unless something stopped the worker from outside). */
  workerRestarts: number;
  result: FullSystemRestoreResult;
}

const MB = 1024 * 1024;

function seconds(value: number | undefined): string {
  return value === undefined ? '-' : value.toFixed(1);
}

/** The slowest service's restore: the services restore in parallel, so this is the restore phase's length. */
export function restorePhaseSeconds(measurement: ScaleMeasurement): number {
  return Math.max(...measurement.result.services.map((s) => s.restoreSeconds ?? 0));
}

/** A Markdown table (printed as is and pasted into the README). */
export function measurementTable(measurements: ScaleMeasurement[]): string {
  const services = measurements[0]?.result.services.map((s) => s.service) ?? [];
  const header = [
    'scale',
    'SQL dump (MB, all services)',
    'gzipped (MB)',
    ...services.map((s) => `${s} restore (s)`),
    ...services.map((s) => `${s} downtime (s)`),
    'system downtime (s)',
    'workflow total (s)',
  ];
  const rows = measurements.map((m) => {
    const byService = new Map(m.result.services.map((s) => [s.service, s]));
    return [
      String(m.scale),
      (m.sqlBytes / MB).toFixed(1),
      (m.gzipBytes / MB).toFixed(1),
      ...services.map((s) => seconds(byService.get(s)?.restoreSeconds)),
      ...services.map((s) => seconds(byService.get(s)?.downtimeSeconds)),
      seconds(m.result.downtimeSeconds),
      seconds(m.result.totalSeconds),
    ];
  });
  const line = (cells: string[]) => `| ${cells.join(' | ')} |`;
  return [line(header), line(header.map(() => '---')), ...rows.map(line)].join('\n');
}

/** `downtime scale=1 seconds=<x> scale=<n> seconds=<y> restore_seconds=<a>/<b>` (restore phase at each scale). */
export function summaryLine(measurements: ScaleMeasurement[]): string {
  const downtimes = measurements.map((m) => `scale=${m.scale} seconds=${seconds(m.result.downtimeSeconds)}`);
  const restores = measurements.map((m) => seconds(restorePhaseSeconds(m))).join('/');
  return `downtime ${downtimes.join(' ')} restore_seconds=${restores}`;
}
