import { Client, Connection } from '@temporalio/client';
import { afterAll } from 'vitest';
import { temporalConnectConfig } from '../../shared/node/temporal-connection';

/** One client per test file, closed after it. */
export function useTemporalClient(): () => Promise<Client> {
  let client: Client | undefined;
  afterAll(async () => {
    await client?.connection.close();
  });
  return async () => {
    if (!client) {
      const temporal = temporalConnectConfig();
      client = new Client({
        connection: await Connection.connect(temporal.connectionOptions),
        namespace: temporal.namespace,
      });
    }
    return client;
  };
}

let sequence = 0;
export function testWorkflowId(prefix: string): string {
  sequence += 1;
  return `${prefix}-${process.pid}-${Date.now()}-${sequence}`;
}
