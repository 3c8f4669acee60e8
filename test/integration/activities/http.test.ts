import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createActivities } from '../../../activities';
import type { Notification } from '../../../shared/activity-contract';
import type { PostgresContainer } from './helpers';
import { inActivity, testTopology } from './helpers';

/** A local server: /ok answers 200, /down 503, /slow never answers, /flaky 503 twice then 200; /hook records posts. */
let server: http.Server;
let base: string;
const hookBodies: unknown[] = [];
let flakyCalls = 0;
let hookFailuresLeft = 0;

beforeAll(async () => {
  server = http.createServer((req, res) => {
    if (req.url === '/ok') return void res.writeHead(200).end('ok');
    if (req.url === '/down') return void res.writeHead(503).end('down');
    if (req.url === '/slow') return;
    if (req.url === '/flaky') return void res.writeHead(++flakyCalls > 2 ? 200 : 503).end();
    if (req.url === '/hook') {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        if (hookFailuresLeft-- > 0) return void res.writeHead(500).end();
        hookBodies.push(JSON.parse(Buffer.concat(chunks).toString('utf8')));
        res.writeHead(200).end('ok');
      });
      return;
    }
    res.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

/** Health and notify need no database: the topology's database fields are never used here. */
const fakePg: PostgresContainer = { name: 'opareta-acttest-unused', port: 1, user: 'shop', database: 'shop_db' };

/** A port nobody listens on: bound, then released. */
async function closedPort(): Promise<number> {
  const probe = http.createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as AddressInfo;
  await new Promise((resolve) => probe.close(resolve));
  return port;
}

function activitiesWith(healthUrls: string[], webhookUrl?: string) {
  return createActivities({ topology: testTopology({ pg: fakePg, backupDirectory: '/tmp', healthUrls }), webhookUrl });
}

describe('waitForHealth', () => {
  it('reports each endpoint: 200 healthy, 503 and a timeout unhealthy', async () => {
    const activities = activitiesWith([`${base}/ok`, `${base}/down`, `${base}/slow`]);
    const report = await inActivity(() => activities.waitForHealth({ service: 'shop', timeoutSeconds: 1 }));
    expect(report.healthy).toBe(false);
    expect(report.endpoints).toEqual([
      { url: `${base}/ok`, healthy: true, status: 200 },
      { url: `${base}/down`, healthy: false, status: 503, error: 'HTTP 503' },
      { url: `${base}/slow`, healthy: false, error: expect.stringMatching(/^no answer within \d+ ms$/) },
    ]);
  });

  it('retries until the endpoint becomes healthy', async () => {
    flakyCalls = 0;
    const activities = activitiesWith([`${base}/flaky`, `${base}/ok`]);
    const report = await inActivity(() => activities.waitForHealth({ service: 'shop', timeoutSeconds: 30 }));
    expect(report).toEqual({
      healthy: true,
      endpoints: [
        { url: `${base}/flaky`, healthy: true, status: 200 },
        { url: `${base}/ok`, healthy: true, status: 200 },
      ],
    });
    expect(flakyCalls).toBe(3);
  });

  it('a refused connection is unhealthy with the reason', async () => {
    const activities = activitiesWith([`http://127.0.0.1:${await closedPort()}/health`]);
    const report = await inActivity(() => activities.waitForHealth({ service: 'shop', timeoutSeconds: 0 }));
    expect(report.endpoints[0]).toMatchObject({ healthy: false, error: 'ECONNREFUSED' });
  });
});

describe('notify', () => {
  it('posts Slack-compatible JSON with the planned downtime, retrying a failing webhook', async () => {
    hookBodies.length = 0;
    hookFailuresLeft = 1;
    const activities = activitiesWith([`${base}/ok`], `${base}/hook`);
    const sent = await inActivity(() =>
      activities.notify({
        kind: 'restore-planned',
        workflowId: 'restore-shop-1',
        services: ['shop'],
        backups: ['shop_20240101_020000.sql.gz'],
        expectedDowntimeSeconds: 45,
        mode: 'swap',
      }),
    );
    expect(sent).toEqual({ delivered: true });
    expect(hookBodies).toHaveLength(1);
    const body = hookBodies[0] as { text: string; event: { kind: string } };
    expect(body.text).toContain('Planned database restore of shop (swap)');
    expect(body.text).toContain('shop_20240101_020000.sql.gz');
    expect(body.text).toContain('Expected downtime: about 45 s');
    expect(body.event.kind).toBe('restore-planned');
  });

  it('sends outcomes and failed drills', async () => {
    hookBodies.length = 0;
    const activities = activitiesWith([`${base}/ok`], `${base}/hook`);
    await inActivity(() =>
      activities.notify({
        kind: 'restore-outcome',
        workflowId: 'w1',
        services: ['shop'],
        outcome: 'succeeded',
        detail: '6 tables',
      }),
    );
    await inActivity(() =>
      activities.notify({ kind: 'drill-failed', workflowId: 'w2', services: ['shop'], detail: 'row counts differ' }),
    );
    expect(hookBodies.map((b) => (b as { text: string }).text)).toEqual([
      'Database restore of shop succeeded (workflow w1): 6 tables',
      ':rotating_light: Restore drill FAILED for shop (workflow w2): row counts differ',
    ]);
  });

  it('is a no-op without a webhook and never fails the caller when the webhook is down', async () => {
    // An empty URL is "not configured", whatever OPARETA_NOTIFY_WEBHOOK_URL says on this machine.
    const unset = activitiesWith([`${base}/ok`], '');
    const event: Notification = { kind: 'drill-failed', workflowId: 'w', services: ['shop'], detail: 'x' };
    expect(await inActivity(() => unset.notify(event))).toEqual({ delivered: false });
    const down = activitiesWith([`${base}/ok`], `http://127.0.0.1:${await closedPort()}/hook`);
    expect(await inActivity(() => down.notify(event))).toEqual({ delivered: false });
  });
});
