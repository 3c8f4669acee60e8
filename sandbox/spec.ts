import { createHash } from 'node:crypto';
import path from 'node:path';
import type Docker from 'dockerode';
import { projectRoot } from '../shared/node/settings';
import type { ServiceConfig, Topology } from '../shared/node/topology';
import { sandboxImages } from './images';

/** Labels that make the sandbox containers look like the runbook's compose services. */
export const COMPOSE_PROJECT = 'opareta';
export const SANDBOX_LABEL = 'org.opareta.sandbox';
export const SPEC_LABEL = 'org.opareta.sandbox.spec';

const APP_PORT = 3000;
const POSTGRES_PORT = 5432;
const SECONDS = 1_000_000_000;
/**
 * The apps' healthcheck: one HTTP/1.0 GET of /api/health over bash's /dev/tcp, healthy on a 200. A fixed script,
 * the port its only argument. Not `node -e fetch(...)`: starting node every 2 s in each of the four apps kept
 * most of a core of a 2-core machine busy (1.5 s per probe here), slowing every restore and test beside it.
 */
const HEALTH_PROBE = [
  'bash',
  '-c',
  'exec 3<>"/dev/tcp/127.0.0.1/$1" && printf "GET /api/health HTTP/1.0\\r\\n\\r\\n" >&3 && read -r status <&3 && [[ $status == HTTP/1.?" 200 "* ]]',
  'health-probe',
  String(APP_PORT),
];

export interface ContainerSpec {
  name: string;
  service: string;
  role: 'database' | 'app';
  /** Host ports published on 127.0.0.1, for the "port held by something else" check. */
  hostPorts: number[];
  options: Docker.ContainerCreateOptions;
}

export function networkName(topology: Topology): string {
  return topology.name;
}

export function volumeName(topology: Topology, service: string): string {
  return `${topology.name}-${service}-pgdata`;
}

function composeService(containerName: string): string {
  return containerName.replace(/^opareta-/, '');
}

function labels(topology: Topology, containerName: string, role: string): Record<string, string> {
  return {
    'com.docker.compose.project': COMPOSE_PROJECT,
    'com.docker.compose.service': composeService(containerName),
    [SANDBOX_LABEL]: topology.name,
    [`${SANDBOX_LABEL}.role`]: role,
  };
}

/** The database container of a service: the official postgres image's contract, data in a named volume. */
export function databaseSpec(topology: Topology, serviceName: string, service: ServiceConfig, password: string) {
  const options: Docker.ContainerCreateOptions = {
    name: service.databaseContainer,
    Image: sandboxImages.postgres,
    Env: [`POSTGRES_USER=${service.user}`, `POSTGRES_DB=${service.database}`],
    Labels: labels(topology, service.databaseContainer, 'database'),
    ExposedPorts: { [`${POSTGRES_PORT}/tcp`]: {} },
    // SIGINT is PostgreSQL's fast shutdown: a smart one would wait for the apps' pooled connections.
    StopSignal: 'SIGINT',
    Healthcheck: {
      Test: ['CMD', 'pg_isready', '-q', '-U', service.user, '-d', service.database],
      Interval: 2 * SECONDS,
      Timeout: 5 * SECONDS,
      Retries: 30,
    },
    HostConfig: {
      Init: true,
      NetworkMode: networkName(topology),
      Binds: [`${volumeName(topology, serviceName)}:/var/lib/postgresql/data`],
      PortBindings: { [`${POSTGRES_PORT}/tcp`]: [{ HostIp: '127.0.0.1', HostPort: String(service.port) }] },
    },
    NetworkingConfig: {
      EndpointsConfig: { [networkName(topology)]: { Aliases: [composeService(service.databaseContainer)] } },
    },
  };
  // The password only matters at initdb (and is re-applied on every `up`), so it stays out of the spec hash.
  const spec = withSpecHash(options);
  (spec.Env as string[]).push(`POSTGRES_PASSWORD=${password}`);
  return {
    name: service.databaseContainer,
    service: serviceName,
    role: 'database',
    hostPorts: [service.port],
    options: spec,
  } satisfies ContainerSpec;
}

/** The app containers of a service: sandbox/app/server.js on the same image, talking to the database by name. */
export function appSpecs(
  topology: Topology,
  serviceName: string,
  service: ServiceConfig,
  password: string,
): ContainerSpec[] {
  return service.appContainers.map((name, index) => {
    const hostPort = healthPort(service, index);
    const options: Docker.ContainerCreateOptions = {
      name,
      Image: sandboxImages.app,
      Cmd: ['node', '/app/server.js'],
      Env: [
        `SERVICE_NAME=${serviceName}`,
        `APP_INSTANCE=${index + 1}`,
        `PORT=${APP_PORT}`,
        `DB_HOST=${service.databaseContainer}`,
        `DB_PORT=${POSTGRES_PORT}`,
        `DB_NAME=${service.database}`,
        `DB_USER=${service.user}`,
        `DB_PASSWORD=${password}`,
        'NODE_PATH=/opt/node_modules',
      ],
      Labels: labels(topology, name, 'app'),
      Healthcheck: {
        Test: ['CMD', ...HEALTH_PROBE],
        // The first probe comes one interval after a start: this interval is most of a swap's downtime.
        Interval: 2 * SECONDS,
        Timeout: 5 * SECONDS,
        Retries: 3,
      },
      ExposedPorts: { [`${APP_PORT}/tcp`]: {} },
      HostConfig: {
        Init: true,
        NetworkMode: networkName(topology),
        Binds: [
          `${path.join(projectRoot, 'sandbox', 'app')}:/app:ro`,
          `${path.join(projectRoot, 'node_modules')}:/opt/node_modules:ro`,
        ],
        PortBindings: { [`${APP_PORT}/tcp`]: [{ HostIp: '127.0.0.1', HostPort: String(hostPort) }] },
      },
      NetworkingConfig: { EndpointsConfig: { [networkName(topology)]: { Aliases: [composeService(name)] } } },
    };
    // The password is part of this hash: a new password recreates the apps so they use it.
    return { name, service: serviceName, role: 'app', hostPorts: [hostPort], options: withSpecHash(options) };
  });
}

/** The host port of an app container: the port of its health URL (the config pairs them by position). */
export function healthPort(service: ServiceConfig, index: number): number {
  const url = service.healthUrls[index] ?? service.healthUrls[0];
  const parsed = new URL(url);
  const port = Number(parsed.port || (parsed.protocol === 'https:' ? 443 : 80));
  if (!['127.0.0.1', 'localhost'].includes(parsed.hostname)) {
    throw new Error(`sandbox health URL ${url} must point at 127.0.0.1 or localhost`);
  }
  return port;
}

function withSpecHash(options: Docker.ContainerCreateOptions): Docker.ContainerCreateOptions {
  const hash = createHash('sha256').update(JSON.stringify(options)).digest('hex').slice(0, 16);
  return { ...options, Env: [...(options.Env ?? [])], Labels: { ...options.Labels, [SPEC_LABEL]: hash } };
}
