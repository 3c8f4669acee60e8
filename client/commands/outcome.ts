import { emit, ExitCode, formatDuration, type OutputOptions } from '../output';

type Result = Record<string, unknown> & {
  outcome?: string;
  passed?: boolean;
  downtimeSeconds?: number;
  totalSeconds?: number;
  services?: unknown;
};

/** Outcomes that mean the operation did what was asked. Everything else exits non-zero. */
const SUCCESSFUL = new Set(['restored', 'passed', 'dry-run', 'planned', 'succeeded', 'success', 'completed']);

export function isSuccess(result: Result): boolean {
  if (typeof result.passed === 'boolean') return result.passed;
  return result.outcome === undefined || SUCCESSFUL.has(result.outcome);
}

export function printOutcome(options: OutputOptions, workflowType: string, workflowId: string, raw: unknown): void {
  const result = (raw ?? {}) as Result;
  const ok = isSuccess(result);
  emit(options, result, () => {
    const lines = [`${workflowType} ${workflowId}: ${result.outcome ?? (ok ? 'passed' : 'failed')}`];
    if (result.downtimeSeconds !== undefined) lines.push(`  downtime: ${formatDuration(result.downtimeSeconds)}`);
    if (result.totalSeconds !== undefined) lines.push(`  total:    ${formatDuration(result.totalSeconds)}`);
    lines.push(...describeServices(result.services));
    // restoreDatabase's result is its one service's report.
    if (!Array.isArray(result.services)) lines.push(...describeStandby(result));
    lines.push(...describeEstimates(result));
    return lines.join('\n');
  });
  if (!ok) process.exitCode = ExitCode.failed;
}

function describeServices(services: unknown): string[] {
  if (!services || typeof services !== 'object') return [];
  const entries = Array.isArray(services)
    ? services.map((s: Record<string, unknown>) => [String(s.service), s] as const)
    : Object.entries(services as Record<string, Record<string, unknown>>);
  return entries.map(([name, s]) => {
    const part = s as Record<string, unknown>;
    const backup = (part.backup as { file?: string } | undefined)?.file ?? part.backupFile ?? '';
    const verdict = part.outcome ?? (part.passed === false ? 'FAILED' : part.passed ? 'passed' : '');
    const reason = part.reason ?? part.error ?? '';
    const line = `  ${name.padEnd(8)} ${String(verdict).padEnd(10)} ${backup} ${reason}`.trimEnd();
    return [line, ...describeForecast(part.forecast), ...describeStandby(part)].join('\n');
  });
}

/** A drill's standby (kept, or why not) and a restore's (used, or why not). */
export function describeStandby(part: Record<string, unknown>): string[] {
  // A drill's report has a `standby` object; a restore's the name of the standby it used.
  const drill = part.standby as
    | {
        kept?: boolean;
        database?: string;
        sizeBytes?: number;
        backupFile?: string;
        reason?: string;
        dropped?: string[];
      }
    | string
    | undefined;
  const lines: string[] = [];
  if (typeof part.fromStandby === 'boolean') {
    lines.push(
      part.fromStandby
        ? `           from the warm standby ${String(part.standby)}: no restore, only the swap`
        : `           standby not used: ${String(part.standbyUnusedReason ?? 'unknown')}`,
    );
  } else if (drill && typeof drill === 'object') {
    const size = typeof drill.sizeBytes === 'number' ? ` (${(drill.sizeBytes / 1024 ** 2).toFixed(1)} MB on disk)` : '';
    lines.push(
      drill.kept
        ? `           standby kept: ${drill.database}${size} of ${drill.backupFile}`
        : `           no standby kept: ${drill.reason ?? 'unknown'}`,
    );
  }
  const dropped = Array.isArray(part.standbysDropped) ? part.standbysDropped : [];
  if (dropped.length) lines.push(`           standbys dropped for room: ${dropped.join(', ')}`);
  if (drill && typeof drill === 'object' && drill.dropped?.length) {
    lines.push(`           standbys dropped: ${drill.dropped.join(', ')}`);
  }
  return lines;
}

/** A drill's projection of production's restore time, with its warning past 80% of the RTO. */
function describeForecast(forecast: unknown): string[] {
  const f = forecast as { projectedSeconds?: number; rtoShare?: number; warning?: string } | undefined;
  if (typeof f?.projectedSeconds !== 'number') return [];
  if (f.warning) return [`           WARNING: ${f.warning}`];
  const share = typeof f.rtoShare === 'number' ? ` (${Math.round(f.rtoShare * 100)}% of RTO)` : '';
  return [`           restore of today's size projected at ${(f.projectedSeconds / 60).toFixed(1)} min${share}`];
}

interface EstimatedDifference {
  table: string;
  liveRows: number | null;
  difference: number;
  estimated?: boolean;
}

/** The swap preview's live counts that are estimates (large tables), so no one reads them as exact. */
export function describeEstimates(result: Result): string[] {
  const parts = Array.isArray(result.services) ? (result.services as Record<string, unknown>[]) : [result];
  return parts.flatMap((part) => {
    const differences = Array.isArray(part.expectedLoss) ? (part.expectedLoss as EstimatedDifference[]) : [];
    const estimated = differences.filter((d) => d.estimated);
    if (estimated.length === 0) return [];
    const tables = estimated.map((d) => `${d.table} ~${d.liveRows ?? 0} live (${d.difference} by the swap)`);
    const service = typeof part.service === 'string' ? `${part.service}: ` : '';
    return [`  ${service}estimated, not counted (large tables): ${tables.join(', ')}`];
  });
}
