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
    return `  ${name.padEnd(8)} ${String(verdict).padEnd(10)} ${backup} ${reason}`.trimEnd();
  });
}
