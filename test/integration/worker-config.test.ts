import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const root = path.resolve(__dirname, '..', '..');

function startWorkerWith(config: unknown): { status: number | null; stderr: string } {
  const file = path.join(mkdtempSync(path.join(tmpdir(), 'opareta-bad-config-')), 'config.json');
  writeFileSync(file, JSON.stringify(config));
  const run = spawnSync(process.execPath, ['--import', 'tsx', path.join(root, 'worker', 'main.ts')], {
    cwd: root,
    env: { ...process.env, OPARETA_CONFIG: file, OPARETA_TASK_QUEUE: 'never-polled' },
    encoding: 'utf8',
    timeout: 60_000,
  });
  return { status: run.status, stderr: run.stderr };
}

describe('the worker refuses a bad topology before it polls', () => {
  const sandbox = JSON.parse(readFileSync(path.join(root, 'config', 'sandbox.json'), 'utf8'));

  it('names a missing database', () => {
    const config = structuredClone(sandbox);
    delete config.services.hermes.database;
    const run = startWorkerWith(config);
    expect(run.status).toBe(1);
    expect(run.stderr).toContain('services.hermes.database');
    expect(run.stderr).not.toContain('worker polling');
  });

  it('names an unknown field and a backup directory outside the backup root', () => {
    const config = structuredClone(sandbox);
    config.services.argus.pasword = 'typo';
    config.services.argus.backupDirectory = '../../etc';
    const run = startWorkerWith(config);
    expect(run.status).toBe(1);
    expect(run.stderr).toContain('pasword');
    expect(run.stderr).toContain('services.argus.backupDirectory');
  });
});
