import { hostname, userInfo } from 'node:os';
import { Client, Connection } from '@temporalio/client';
import { settings } from '../shared/node/settings';
import { temporalConnectConfig } from '../shared/node/temporal-connection';

/** Opens a client by the envconfig conventions; the caller closes it with `client.connection.close()`. */
export async function connectClient(): Promise<Client> {
  const temporal = temporalConnectConfig();
  const connection = await Connection.connect({ ...temporal.connectionOptions, connectTimeout: '10s' });
  return new Client({ connection, namespace: temporal.namespace, identity: cliIdentity() });
}

/**
 * Who is calling, as Temporal records it in the history (the starter, an approver): `alice@bastion via
 * opareta-dr`. Restores read it back to apply the four-eyes rule; `--by` is only a note beside it.
 */
export function cliIdentity(): string {
  const user = process.env.USER || process.env.LOGNAME || safeUserName() || 'unknown';
  return `${user}@${hostname()} via opareta-dr`;
}

function safeUserName(): string | undefined {
  try {
    return userInfo().username;
  } catch {
    return undefined;
  }
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
