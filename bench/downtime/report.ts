import type { FullSystemRestoreResult } from '../../shared/workflow-types';
import { median } from '../median';
import type { SwapStep } from './swap-steps';

/** One `fullSystemRestore {}` run, as the workflow reported it and as its history timed the swap steps. */
export interface RestoreRun {
  result: FullSystemRestoreResult;
  steps: Record<SwapStep, number>;
  /** Worker processes that died while this restore ran (0 unless something stopped the worker from outside). */
  workerRestarts: number;
}

/** Restores of one backup generation at one data scale. */
export interface ScaleMeasurement {
  scale: number;
  /** Plain SQL in the chosen backups of all services (the dump scanner's count). */
  sqlBytes: number;
  gzipBytes: number;
  generateSeconds: number;
  backupSeconds: number;
  runs: RestoreRun[];
}

const MB = 1024 * 1024;

function seconds(value: number): string {
  return Number.isFinite(value) ? value.toFixed(1) : '-';
}

export function medianDowntime(m: ScaleMeasurement): number {
  return median(m.runs.map((r) => r.result.downtimeSeconds ?? Number.NaN));
}

/** The slowest service's restore: the services restore in parallel, so this is the restore phase's length. */
export function medianRestorePhase(m: ScaleMeasurement): number {
  return median(m.runs.map((r) => Math.max(...r.result.services.map((s) => s.restoreSeconds ?? 0))));
}

function medianServiceRestore(m: ScaleMeasurement, service: string): number {
  return median(m.runs.map((r) => r.result.services.find((s) => s.service === service)?.restoreSeconds ?? Number.NaN));
}

function downtimeCell(m: ScaleMeasurement): string {
  const all = m.runs.map((r) => r.result.downtimeSeconds ?? Number.NaN);
  return `**${seconds(median(all))}** (${seconds(Math.min(...all))}–${seconds(Math.max(...all))})`;
}

/** A Markdown table of medians over the runs (printed as is and pasted into the README). */
export function measurementTable(measurements: ScaleMeasurement[]): string {
  const services = measurements[0]?.runs[0]?.result.services.map((s) => s.service) ?? [];
  const runs = measurements[0]?.runs.length ?? 0;
  const header = [
    'scale',
    'SQL, all services (MB)',
    'gzipped (MB)',
    ...services.map((s) => `${s} restore (s)`),
    `system downtime (s), median (min–max) of ${runs}`,
    'stop apps (s)',
    'terminate + rename (s)',
    'start apps until healthy (s)',
    'workflow total (s)',
  ];
  const rows = measurements.map((m) => [
    String(m.scale),
    (m.sqlBytes / MB).toFixed(1),
    (m.gzipBytes / MB).toFixed(1),
    ...services.map((s) => seconds(medianServiceRestore(m, s))),
    downtimeCell(m),
    seconds(median(m.runs.map((r) => r.steps.stopApps))),
    seconds(median(m.runs.map((r) => r.steps.renameDatabases))),
    seconds(median(m.runs.map((r) => r.steps.startAppsUntilHealthy))),
    seconds(median(m.runs.map((r) => r.result.totalSeconds))),
  ]);
  const line = (cells: string[]) => `| ${cells.join(' | ')} |`;
  return [line(header), line(header.map(() => '---')), ...rows.map(line)].join('\n');
}

/** `downtime scale=1 seconds=<x> scale=<n> seconds=<y> restore_seconds=<a>/<b>`: medians, restore phase per scale. */
export function summaryLine(measurements: ScaleMeasurement[]): string {
  const downtimes = measurements.map((m) => `scale=${m.scale} seconds=${seconds(medianDowntime(m))}`);
  const restores = measurements.map((m) => seconds(medianRestorePhase(m))).join('/');
  return `downtime ${downtimes.join(' ')} restore_seconds=${restores}`;
}
