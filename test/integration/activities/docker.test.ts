import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createActivities } from '../../../activities';
import { createContainerClient } from '../../../activities/docker';
import type { DrActivities } from '../../../shared/activity-contract';
import { containerLogs } from '../../../shared/node/docker';
import {
  CONTAINER_PREFIX,
  ensureImage,
  failureOf,
  inActivity,
  removeContainers,
  startApp,
  startPostgres,
  tempDirectory,
  testTopology,
  type PostgresContainer,
} from './helpers';

const containers = createContainerClient();
let pg: PostgresContainer;
let healthyApp: string;
let unhealthyApp: string;
let plainApp: string;
let composeApp: string;
let framesApp: string;
const composeService = `${CONTAINER_PREFIX}svc-${process.pid}`;
let backups: Awaited<ReturnType<typeof tempDirectory>>;
let activities: DrActivities;
const startedAt = new Date(Date.now() - 1000);

beforeAll(async () => {
  await ensureImage();
  backups = await tempDirectory('docker');
  [pg, healthyApp, plainApp, composeApp, unhealthyApp, framesApp] = await Promise.all([
    startPostgres('dockerdb'),
    startApp('healthy', {
      healthcheck: true,
      logLines: ['listening on 3000', 'Error: connect ECONNREFUSED 127.0.0.1:5432', 'request served'],
    }),
    startApp('plain', { logLines: ['FATAL: terminating connection due to administrator command', 'ok'] }),
    startApp('compose', { composeService }),
    startApp('unhealthy', { healthcheck: 'failing' }),
    // Frame sizes 0x0a (a newline) and 0x41 ('A'): bytes a filter of control characters would have kept.
    startApp('frames', { logLines: ['123456789', 'A'.repeat(0x40)] }),
  ]);
  activities = createActivities({
    topology: testTopology({
      pg,
      backupDirectory: backups.path,
      appContainers: [healthyApp, plainApp, composeService],
    }),
    appReadyTimeoutMs: 30_000,
  });
});

afterAll(async () => {
  await removeContainers([pg?.name, healthyApp, plainApp, composeApp, unhealthyApp, framesApp].filter(Boolean));
  await backups?.remove();
});

describe('ContainerClient', () => {
  it('stops and starts idempotently, and waits for the healthcheck', async () => {
    await containers.stop(healthyApp, 2);
    await containers.stop(healthyApp, 2);
    expect((await containers.state(healthyApp)).state).toBe('exited');
    await containers.start(healthyApp);
    await containers.start(healthyApp);
    const ready = await containers.waitUntilReady(healthyApp, 30_000);
    expect(ready).toMatchObject({ name: healthyApp, state: 'running', health: 'healthy' });
    expect(ready.status).toMatch(/^Up .*\(healthy\)$/);
  });

  it('returns an unhealthy verdict with untilVerdict, and throws at the timeout without it', async () => {
    const verdict = await containers.waitUntilReady(unhealthyApp, 60_000, undefined, { untilVerdict: true });
    expect(verdict).toMatchObject({ name: unhealthyApp, state: 'running', health: 'unhealthy' });
    await expect(containers.waitUntilReady(unhealthyApp, 2_000)).rejects.toThrow(/not ready after 2 s/);
  });

  it('resolves a compose service label to its containers and reports a missing one', async () => {
    expect(await containers.resolve(composeService)).toEqual([composeApp]);
    expect(await containers.resolve(plainApp)).toEqual([plainApp]);
    expect(await failureOf(containers.resolve(`${CONTAINER_PREFIX}nothing-here`))).toBe(
      'ContainerNotFound (non-retryable)',
    );
    expect(await containers.state(`${CONTAINER_PREFIX}nothing-here`)).toMatchObject({ state: 'missing' });
    expect(await failureOf(containers.stop(`${CONTAINER_PREFIX}nothing-here`))).toBe(
      'ContainerNotFound (non-retryable)',
    );
  });

  it('exec returns exit codes and keeps stdout and stderr apart', async () => {
    const result = await containers.exec(plainApp, ['bash', '-c', 'echo out; echo err >&2; exit 3']);
    expect(result).toEqual({ exitCode: 3, stdout: 'out\n', stderr: 'err\n' });
    expect((await containers.exec(plainApp, ['true'])).exitCode).toBe(0);
    // Docker answers 126 or 127 (by version) for a command that cannot run: never 0.
    expect([126, 127]).toContain((await containers.exec(plainApp, ['no-such-command'])).exitCode);
  });

  it('exec streams stdin of any size and closes it at the end', async () => {
    const megabytes = 8;
    const input = Readable.from(
      (function* () {
        for (let i = 0; i < megabytes; i++) yield Buffer.alloc(1024 * 1024, 0x61);
      })(),
    );
    const result = await containers.exec(plainApp, ['wc', '-c'], { stdin: input });
    expect(result.exitCode).toBe(0);
    expect(result.stdout.trim()).toBe(String(megabytes * 1024 * 1024));
  });

  it('isRunning stays true from the start of a command until its exit is recorded', async () => {
    // Asked the instant it starts (before Docker may show the process as up) and again once it has exited.
    const quick = await containers.startExec(plainApp, ['sleep', '1'], { stdin: '' });
    expect(await quick.isRunning()).toBe(true);
    expect((await quick.result).exitCode).toBe(0);
    expect(await quick.isRunning()).toBe(false);
  });

  it('waits a bounded time for the exit code of a detached command that runs on, then fails naming it', async () => {
    const running = await containers.startExec(plainApp, ['sleep', '30'], { stdin: '', exitCodeWaitMs: 2_000 });
    expect(await running.isRunning()).toBe(true);
    running.detach();
    // The seconds in the message are the configured wait, not the 30 s default: no clock needed to show it.
    await expect(running.result).rejects.toThrow(
      new RegExp(`^docker exec sleep in ${plainApp}: still running 2 s after its output ended$`),
    );
  });

  it('reads logs by their frame headers, whatever bytes the sizes are', async () => {
    await containers.waitUntilReady(framesApp, 30_000);
    expect(await containerLogs(framesApp)).toBe(`123456789\n${'A'.repeat(0x40)}\n`);
    expect(await containerLogs(framesApp, { tail: 1 })).toBe(`${'A'.repeat(0x40)}\n`);
  });
});

describe('container activities', () => {
  it('stopApps and startApps act on every app container, the compose-labelled one too', async () => {
    const stopped = await inActivity(() => activities.stopApps({ service: 'shop' }));
    expect(stopped.map((s) => [s.name, s.state])).toEqual([
      [healthyApp, 'exited'],
      [plainApp, 'exited'],
      [composeApp, 'exited'],
    ]);
    expect((await inActivity(() => activities.stopApps({ service: 'shop' }))).every((s) => s.state === 'exited')).toBe(
      true,
    );
    const started = await inActivity(() => activities.startApps({ service: 'shop' }));
    expect(started.map((s) => [s.name, s.state, s.health])).toEqual([
      [healthyApp, 'running', 'healthy'],
      [plainApp, 'running', undefined],
      [composeApp, 'running', undefined],
    ]);
  });

  it('containerStates shows the database container and the apps', async () => {
    const states = await inActivity(() => activities.containerStates({ service: 'shop' }));
    expect(states.map((s) => s.name)).toEqual([pg.name, healthyApp, plainApp, composeApp]);
    expect(states.every((s) => s.state === 'running')).toBe(true);
  });

  it('reviewAppLogs finds database connection errors since a time', async () => {
    const reviews = await inActivity(() =>
      activities.reviewAppLogs({ service: 'shop', since: startedAt.toISOString() }),
    );
    const byName = Object.fromEntries(reviews.map((r) => [r.container, r]));
    expect(byName[healthyApp].errorLines).toContain('Error: connect ECONNREFUSED 127.0.0.1:5432');
    expect(byName[healthyApp].errorLines).not.toContain('request served');
    expect(byName[plainApp].errorLines).toEqual([
      'FATAL: terminating connection due to administrator command',
      'FATAL: terminating connection due to administrator command',
    ]);
    expect(byName[composeApp]).toEqual({ container: composeApp, linesRead: 0, errorLines: [] });
    const future = await inActivity(() =>
      activities.reviewAppLogs({ service: 'shop', since: new Date(Date.now() + 3_600_000).toISOString() }),
    );
    expect(future.every((r) => r.linesRead === 0)).toBe(true);
    expect(
      await failureOf(inActivity(() => activities.reviewAppLogs({ service: 'shop', since: 'last tuesday' }))),
    ).toBe('InvalidInput (non-retryable)');
  });
});
