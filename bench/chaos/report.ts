import type { RunResult } from './runner';

/** Per-scenario lines, the README table and the suite's last line, from the runs' results only. */
export interface ScenarioSummary {
  scenario: string;
  runs: number;
  passed: number;
  liveIntact: number;
  lostRows: number;
  leftovers: number;
  kept: number;
  workerCrashes: number;
  outcomes: string;
  medianWorkflowSeconds?: number;
  medianRestoreSeconds?: number;
}

function median(values: number[]): number | undefined {
  if (values.length === 0) return undefined;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

function seconds(value: number | undefined): string {
  return value === undefined ? '-' : value.toFixed(1);
}

function countOf(values: string[]): string {
  const counts = new Map<string, number>();
  for (const value of values) counts.set(value, (counts.get(value) ?? 0) + 1);
  return [...counts].map(([value, n]) => `${value}:${n}`).join(',');
}

export function summarize(scenario: string, runs: RunResult[]): ScenarioSummary {
  const states = runs.flatMap((r) => r.services);
  return {
    scenario,
    runs: runs.length,
    passed: runs.filter((r) => r.passed).length,
    liveIntact: runs.filter((r) => r.services.every((s) => s.matches !== 'neither')).length,
    lostRows: states.reduce((sum, s) => sum + s.lostRows, 0),
    leftovers: states.reduce((sum, s) => sum + s.leftovers.length, 0),
    kept: states.reduce((sum, s) => sum + s.kept.length, 0),
    workerCrashes: runs.reduce((sum, r) => sum + r.workerCrashes, 0),
    outcomes: countOf(runs.flatMap((r) => r.outcomes)),
    medianWorkflowSeconds: median(runs.flatMap((r) => (r.workflowSeconds === undefined ? [] : [r.workflowSeconds]))),
    medianRestoreSeconds: median(runs.flatMap((r) => (r.restoreSeconds === undefined ? [] : [r.restoreSeconds]))),
  };
}

export function scenarioLine(s: ScenarioSummary): string {
  return (
    `chaos scenario=${s.scenario} runs=${s.runs} passed=${s.passed} live_intact=${s.liveIntact}/${s.runs} ` +
    `lost_rows=${s.lostRows} leftovers=${s.leftovers} kept_copies=${s.kept} worker_crashes=${s.workerCrashes} ` +
    `outcomes=${s.outcomes} median_workflow_seconds=${seconds(s.medianWorkflowSeconds)} ` +
    `median_restore_seconds=${seconds(s.medianRestoreSeconds)}`
  );
}

export function markdownTable(summaries: ScenarioSummary[]): string {
  const header = [
    'scenario',
    'runs',
    'passed',
    'live intact',
    'lost rows',
    'leftovers',
    'kept copies',
    'worker crashes',
    'outcomes',
    'median workflow (s)',
    'median restore (s)',
  ];
  const rows = summaries.map((s) => [
    s.scenario,
    String(s.runs),
    String(s.passed),
    `${s.liveIntact}/${s.runs}`,
    String(s.lostRows),
    String(s.leftovers),
    String(s.kept),
    String(s.workerCrashes),
    s.outcomes,
    seconds(s.medianWorkflowSeconds),
    seconds(s.medianRestoreSeconds),
  ]);
  const line = (cells: string[]) => `| ${cells.join(' | ')} |`;
  return [line(header), line(header.map(() => '---')), ...rows.map(line)].join('\n');
}

/** `chaos scenarios=<n> runs=<n> live_intact=<n>/<n> lost_rows=<n> leftovers=<n>` */
export function lastLine(summaries: ScenarioSummary[]): string {
  const runs = summaries.reduce((sum, s) => sum + s.runs, 0);
  const intact = summaries.reduce((sum, s) => sum + s.liveIntact, 0);
  const lost = summaries.reduce((sum, s) => sum + s.lostRows, 0);
  const leftovers = summaries.reduce((sum, s) => sum + s.leftovers, 0);
  return `chaos scenarios=${summaries.length} runs=${runs} live_intact=${intact}/${runs} lost_rows=${lost} leftovers=${leftovers}`;
}
