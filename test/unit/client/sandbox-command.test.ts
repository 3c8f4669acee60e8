import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { projectRoot } from '../../../shared/node/settings';

/**
 * `opareta-dr sandbox` is the one sandbox command line (npm start and npm test use it too): bad arguments are
 * refused with exit code 2 and the argument named, before anything touches Docker (this project has none).
 */
function sandbox(...args: string[]) {
  return spawnSync(process.execPath, [path.join(projectRoot, 'bin', 'opareta-dr.js'), 'sandbox', ...args], {
    encoding: 'utf8',
    timeout: 60_000,
  });
}

describe('opareta-dr sandbox', () => {
  it('refuses a scale that is not a positive number', () => {
    const run = sandbox('generate', '--scale', '0');
    expect(run.status).toBe(2);
    expect(run.stderr).toContain('--scale must be a number above 0');
  });

  it('refuses an unknown service, naming the known ones', () => {
    const run = sandbox('backup', '--service', 'nosuch');
    expect(run.status).toBe(2);
    expect(run.stderr).toContain('unknown service "nosuch"; known: argus, hermes');
  });

  it('refuses a timestamp that is not an ISO date-time', () => {
    const run = sandbox('backup', '--timestamp', 'yesterday');
    expect(run.status).toBe(2);
    expect(run.stderr).toContain('--timestamp must be an ISO date-time');
  });

  it('lists every command, the ones the old parseArgs CLI had included', () => {
    const run = sandbox('--help');
    for (const command of ['up', 'down', 'status', 'backup', 'generate', 'activity', 'images']) {
      expect(run.stdout).toMatch(new RegExp(`^  ${command} `, 'm'));
    }
  });
});
