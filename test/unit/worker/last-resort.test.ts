import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { projectRoot } from '../../../shared/node/settings';

/** Runs test/support/last-resort-child.ts in its own process: what it prints and how it ends. */
function runChild(mode: string): { status: number | null; lines: Record<string, unknown>[]; stdout: string } {
  const child = spawnSync(
    process.execPath,
    ['--import', 'tsx', path.join(projectRoot, 'test', 'support', 'last-resort-child.ts'), mode],
    { cwd: projectRoot, encoding: 'utf8', timeout: 60_000 },
  );
  const lines = child.stdout
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as Record<string, unknown>);
  return { status: child.status, lines, stdout: child.stdout };
}

describe('the worker process last-resort handlers', () => {
  it('log an unhandled rejection with its stack and keep the process alive', () => {
    const run = runChild('rejection');
    expect(run.status).toBe(0);
    expect(run.stdout).toContain('still alive');
    expect(run.lines).toEqual([
      expect.objectContaining({ level: 'ERROR', error: expect.stringContaining('Error: a promise nobody awaited') }),
    ]);
  });

  it('also when the Temporal SDK turned the rejection into an UnhandledRejectionError', () => {
    const run = runChild('sdk-rejection');
    expect(run.status).toBe(0);
    expect(run.stdout).toContain('still alive');
    expect(run.lines).toEqual([
      expect.objectContaining({ level: 'ERROR', error: expect.stringContaining('Error: a promise nobody awaited') }),
    ]);
  });

  it('log any other uncaught exception and exit 1, for the supervisor to start a fresh worker', () => {
    const run = runChild('exception');
    expect(run.status).toBe(1);
    expect(run.stdout).not.toContain('still alive');
    expect(run.lines).toEqual([
      expect.objectContaining({ level: 'FATAL', error: expect.stringContaining('Error: thrown in a callback') }),
    ]);
  });
});
