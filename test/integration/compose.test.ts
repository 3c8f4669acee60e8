import { execFileSync, spawnSync } from 'node:child_process';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { projectRoot } from '../../shared/node/settings';

const composeFile = path.join(projectRoot, 'temporal-compose.yml');

/** `docker compose` (v2 plugin) where present, else Debian's docker-compose (scripts/setup.sh installs it). */
function composeCommand(): string[] {
  if (spawnSync('docker', ['compose', 'version'], { stdio: 'ignore' }).status === 0) return ['docker', 'compose'];
  if (spawnSync('docker-compose', ['version'], { stdio: 'ignore' }).status === 0) return ['docker-compose'];
  throw new Error('neither `docker compose` nor `docker-compose` is installed: run scripts/setup.sh');
}

function compose(...args: string[]): string {
  return composeWith({}, ...args);
}

function composeWith(env: Record<string, string>, ...args: string[]): string {
  const [command, ...prefix] = composeCommand();
  const inherited = { ...process.env };
  // The file's defaults are under test: bind addresses from the caller's shell must not leak in.
  delete inherited.TEMPORAL_BIND_ADDRESS;
  delete inherited.TEMPORAL_UI_BIND_ADDRESS;
  return execFileSync(command, [...prefix, '-f', composeFile, ...args], {
    encoding: 'utf8',
    cwd: projectRoot,
    env: { ...inherited, OPARETA_SECRETS_DIR: '/nonexistent', ...env },
  });
}

interface PublishedPort {
  service: string;
  hostIp: string;
  published: string;
  target: string;
}

/**
 * The published ports of every service in `compose config` output: the short form docker-compose 1.x prints
 * (`- 127.0.0.1:7233:7233/tcp`) and the long form of `docker compose` 2.x (host_ip, published, target).
 */
function publishedPorts(config: string): PublishedPort[] {
  const ports: PublishedPort[] = [];
  let service = '';
  let inServices = false;
  let inPorts = false;
  let current: Partial<PublishedPort> | undefined;
  const flush = () => {
    if (current?.published) ports.push({ service, hostIp: '', target: '', ...current } as PublishedPort);
    current = undefined;
  };
  for (const line of config.split('\n')) {
    const indent = line.length - line.trimStart().length;
    const text = line.trim();
    if (indent === 0) {
      flush();
      inServices = text === 'services:';
      inPorts = false;
      continue;
    }
    if (!inServices) continue;
    if (indent === 2) {
      flush();
      service = text.replace(/:$/, '');
      inPorts = false;
      continue;
    }
    // A service's keys sit at indent 4; list items may too (docker-compose 1.x does not indent lists).
    if (indent === 4 && !text.startsWith('- ')) {
      flush();
      inPorts = text === 'ports:';
      continue;
    }
    if (!inPorts) continue;
    const short = /^- "?(?:([^:"]+):)?(\d+):(\d+)(?:\/\w+)?"?$/.exec(text);
    if (short) {
      flush();
      ports.push({ service, hostIp: short[1] ?? '', published: short[2], target: short[3] });
      continue;
    }
    const field = /^(?:- )?(\w+): "?([^"]*)"?$/.exec(text);
    if (!field) continue;
    if (text.startsWith('- ')) flush();
    current ??= {};
    if (field[1] === 'host_ip') current.hostIp = field[2];
    if (field[1] === 'published') current.published = field[2];
    if (field[1] === 'target') current.target = field[2];
  }
  flush();
  return ports;
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
    expect(publishedPorts(config)).toContainEqual(expect.objectContaining({ service: 'temporal-ui', target: '8080' }));
    expect(config).toMatch(/image: temporalio\/auto-setup:/);
    expect(config).toMatch(/image: temporalio\/ui:/);
    expect(config).toMatch(/image: temporalio\/admin-tools:/);
    const worker = config.slice(config.indexOf('opareta-dr-worker:'));
    expect(worker).toMatch(/TEMPORAL_ADDRESS: temporal:7233/);
    expect(worker).toMatch(/OPARETA_CONFIG: \/app\/config\/production\.json/);
    expect(worker).toContain('/var/backups/opareta');
    expect(worker).toContain('/var/run/docker.sock');
  });

  it('publishes every port on 127.0.0.1 only, unless an address is given', () => {
    const defaults = publishedPorts(compose('config'));
    expect(defaults.map((p) => `${p.service} ${p.published}`).sort()).toEqual(['temporal 7233', 'temporal-ui 8080']);
    for (const port of defaults)
      expect(port, `${port.service} ${port.published}`).toMatchObject({ hostIp: '127.0.0.1' });

    const opened = publishedPorts(
      composeWith({ TEMPORAL_BIND_ADDRESS: '10.1.2.3', TEMPORAL_UI_BIND_ADDRESS: '10.1.2.4' }, 'config'),
    );
    expect(opened).toContainEqual(
      expect.objectContaining({ service: 'temporal', hostIp: '10.1.2.3', published: '7233' }),
    );
    expect(opened).toContainEqual(
      expect.objectContaining({ service: 'temporal-ui', hostIp: '10.1.2.4', published: '8080' }),
    );
  });

  it('restarts the worker when it exits', () => {
    const config = compose('config');
    const worker = config.slice(config.indexOf('\n  opareta-dr-worker:'));
    const block = worker.slice(0, worker.slice(1).search(/\n {2}\S/) + 1 || undefined);
    expect(block).toMatch(/restart: unless-stopped/);
  });
});
