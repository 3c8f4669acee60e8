import { createServer, type Server } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { ensureContainer, portIsFree } from '../../sandbox/containers';
import { inspectOrUndefined } from '../../shared/node/docker';
import { sandboxImages } from '../../sandbox/images';
import type { ContainerSpec } from '../../sandbox/spec';

const name = 'opareta-sandbox-porttest';
let blocker: Server | undefined;

function listen(): Promise<{ server: Server; port: number }> {
  return new Promise((resolve) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      resolve({ server, port: typeof address === 'object' && address ? address.port : 0 });
    });
  });
}

afterEach(async () => {
  await new Promise((resolve) => (blocker ? blocker.close(resolve) : resolve(undefined)));
  blocker = undefined;
});

describe('sandbox host ports', () => {
  it('refuses to create a container on a port another process holds, naming the port', async () => {
    const { server, port } = await listen();
    blocker = server;
    expect(await portIsFree(port)).toBe(false);
    const spec: ContainerSpec = {
      name,
      service: 'porttest',
      role: 'app',
      hostPorts: [port],
      options: {
        name,
        Image: sandboxImages.app,
        Cmd: ['true'],
        Labels: { 'org.opareta.sandbox': 'porttest' },
        HostConfig: { PortBindings: { '3000/tcp': [{ HostIp: '127.0.0.1', HostPort: String(port) }] } },
      },
    };
    await expect(ensureContainer(spec)).rejects.toThrow(
      new RegExp(`port ${port} on 127.0.0.1 .*held by another process`),
    );
    expect(await inspectOrUndefined(name)).toBeUndefined();
  });

  it('sees a port as free once its holder has gone', async () => {
    const { server, port } = await listen();
    await new Promise((resolve) => server.close(resolve));
    expect(await portIsFree(port)).toBe(true);
  });
});
