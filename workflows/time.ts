/** Workflow time helpers: Date inside a workflow is the deterministic workflow clock. */
import { workflowInfo } from '@temporalio/workflow';

/** YYYYMMDDHHMMSS in UTC, used to name side, pre-restore and scratch databases. */
export function stampOf(ms: number): string {
  return new Date(ms).toISOString().replace(/[-:T]/g, '').slice(0, 14);
}

/**
 * Names this run's side, pre-restore and scratch databases: the start time an SRE can read, plus a piece of
 * the run ID so two runs started in the same second never share a name (pre_restore databases are kept).
 * The end of the ID: run IDs may be UUIDv7, whose leading characters are a timestamp.
 */
export function runStamp(ms: number): string {
  return `${stampOf(ms)}_${workflowInfo().runId.replace(/-/g, '').slice(-6)}`;
}

export function secondsBetween(fromMs: number, toMs: number): number {
  return Math.round((toMs - fromMs) / 100) / 10;
}

/** "20231201_020000" -> epoch ms (UTC), the time in a backup file name. */
export function generationTimeMs(timestamp: string): number {
  const [, y, mo, d, h, mi, s] = /^(\d{4})(\d{2})(\d{2})_(\d{2})(\d{2})(\d{2})$/.exec(timestamp) ?? [];
  return Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s));
}
