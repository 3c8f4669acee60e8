import { execFileSync, spawnSync } from 'node:child_process';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { projectRoot } from '../../shared/settings';

const composeFile = path.join(projectRoot, 'temporal-compose.yml');

/** `docker compose` (v2 plugin) where present, else Debian's docker-compose (scripts/setup.sh installs it). */
function composeCommand(): string[] {
  if (spawnSync('docker', ['compose', 'version'], { stdio: 'ignore' }).status === 0) return ['docker', 'compose'];
  if (spawnSync('docker-compose', ['version'], { stdio: 'ignore' }).status === 0) return ['docker-compose'];
  throw new Error('neither `docker compose` nor `docker-compose` is installed: run scripts/setup.sh');
}

function compose(...args: string[]): string {
  const [command, ...prefix] = composeCommand();
  return execFileSync(command, [...prefix, '-f', composeFile, ...args], {
    encoding: 'utf8',
    cwd: projectRoot,
    env: { ...process.env, OPARETA_SECRETS_DIR: '/nonexistent' },
  });
}

describe('temporal-compose.yml', () => {
  it('is a valid compose file with Temporal, its database, admin tools, the UI and the worker', () => {
    const services = compose('config', '--services').trim().split('\n').sort();
    expect(services).toEqual(['opareta-dr-worker', 'postgresql', 'temporal', 'temporal-admin-tools', 'temporal-ui']);
  });

  it('runs Temporal on PostgreSQL, the UI on 8080, and points the worker at the temporal service', () => {
    const config = compose('config');
    expect(config).toMatch(/DB: postgres12/);
    expect(config).toMatch(/POSTGRES_SEEDS: postgresql/);
    expect(config).toMatch(/published: "?8080"?/);
    expect(config).toMatch(/image: temporalio\/auto-setup:/);
    expect(config).toMatch(/image: temporalio\/ui:/);
    expect(config).toMatch(/image: temporalio\/admin-tools:/);
    const worker = config.slice(config.indexOf('opareta-dr-worker:'));
    expect(worker).toMatch(/TEMPORAL_ADDRESS: temporal:7233/);
    expect(worker).toMatch(/OPARETA_CONFIG: \/app\/config\/production\.json/);
    expect(worker).toContain('/var/backups/opareta');
    expect(worker).toContain('/var/run/docker.sock');
  });
});
