import { createServer, type Server, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { createPostgresAccess } from '../../../activities/postgres';
import type { ServiceConfig } from '../../../shared/node/topology';

/**
 * withClient when the server goes away between two queries, against the smallest server that speaks enough of
 * the PostgreSQL protocol to accept a login (AuthenticationOk, ReadyForQuery). The same with a real PostgreSQL
 * container killed under it: test/integration/activities/connection-loss.test.ts.
 */
let server: Server | undefined;
const uncaught: unknown[] = [];
const recordUncaught = (err: unknown) => uncaught.push(err);

afterEach(async () => {
  process.off('uncaughtException', recordUncaught);
  await new Promise((resolve) => server?.close(resolve) ?? resolve(undefined));
});

/** Accepts one login; resolves with the server-side socket once the client is ready for queries. */
function fakePostgres(): Promise<{ port: number; session: Promise<Socket> }> {
  let accept!: (socket: Socket) => void;
  const session = new Promise<Socket>((resolve) => (accept = resolve));
  server = createServer((socket) => {
    socket.once('data', () => {
      const authenticationOk = Buffer.from([0x52, 0, 0, 0, 8, 0, 0, 0, 0]);
      const readyForQuery = Buffer.from([0x5a, 0, 0, 0, 5, 0x49]);
      socket.write(Buffer.concat([authenticationOk, readyForQuery]));
      accept(socket);
    });
  });
  return new Promise((resolve) =>
    server!.listen(0, '127.0.0.1', () => {
      const address = server!.address();
      resolve({ port: typeof address === 'object' && address ? address.port : 0, session });
    }),
  );
}

describe('withClient when the connection drops between queries', () => {
  it('fails the call with the connection named, and nothing reaches the process as an uncaught error', async () => {
    process.on('uncaughtException', recordUncaught);
    const { port, session } = await fakePostgres();
    const config = { host: '127.0.0.1', port, user: 'shop' } as ServiceConfig;
    const postgres = createPostgresAccess(() => 'unused');

    const call = postgres
      .withClient(config, 'shop_db', async (client) => {
        const ended = new Promise((resolve) => client.once('end', resolve));
        (await session).destroy();
        await ended;
        return client.query('SELECT 1');
      })
      .then(
        () => 'completed',
        (err: Error) => err.message,
      );

    expect(await call).toBe(
      `connection to database shop_db as shop at 127.0.0.1:${port} lost: Connection terminated unexpectedly ` +
        '(Client has encountered a connection error and is not queryable)',
    );
    expect(uncaught).toEqual([]);
  });
});
