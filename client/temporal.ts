import { Client, Connection } from '@temporalio/client';
import { settings } from '../shared/settings';
import { temporalConnectConfig } from '../shared/temporal-connection';

/** Opens a client by the envconfig conventions; the caller closes it with `client.connection.close()`. */
export async function connectClient(): Promise<Client> {
  const temporal = temporalConnectConfig();
  const connection = await Connection.connect({ ...temporal.connectionOptions, connectTimeout: '10s' });
  return new Client({ connection, namespace: temporal.namespace });
}

export async function withClient<T>(fn: (client: Client) => Promise<T>): Promise<T> {
  const client = await connectClient();
  try {
    return await fn(client);
  } finally {
    await client.connection.close();
  }
}

export function workflowUiUrl(workflowId: string, runId?: string): string {
  const namespace = encodeURIComponent(temporalConnectConfig().namespace);
  const base = `${settings.temporalUiUrl}/namespaces/${namespace}/workflows/${encodeURIComponent(workflowId)}`;
  return runId ? `${base}/${encodeURIComponent(runId)}` : base;
}
