import { createServer } from 'node:net';
import { Client, Connection } from '@temporalio/client';
import { google, temporal as proto } from '@temporalio/proto';
import { temporalConnectConfig } from '../../shared/node/temporal-connection';
import { OPARETA_SEARCH_ATTRIBUTES } from '../../workflows/definitions';

/**
 * A namespace of the bench's own: restores take the per-service lock workflow `restore-lock-<service>`,
 * whose ID is unique per namespace, so a bench restore of argus in the default namespace would be refused
 * while an end-to-end test restores the sandbox's argus (and the other way round).
 */
export const BENCH_NAMESPACE = process.env.OPARETA_BENCH_NAMESPACE ?? 'opareta-bench';

const GRPC_NOT_FOUND = 5;
const GRPC_ALREADY_EXISTS = 6;
const NAMESPACE_READY_MS = 60_000;
const RETENTION_SECONDS = 24 * 60 * 60;

function grpcCode(err: unknown): number | undefined {
  return (err as { code?: number }).code;
}

export async function connectBenchClient(): Promise<Client> {
  const config = temporalConnectConfig();
  const connection = await Connection.connect(config.connectionOptions);
  await ensureNamespace(connection, BENCH_NAMESPACE);
  return new Client({ connection, namespace: BENCH_NAMESPACE });
}

/** Registers the namespace and the workflows' search attributes when missing; waits until the frontend serves it. */
async function ensureNamespace(connection: Connection, namespace: string): Promise<void> {
  const service = connection.workflowService;
  try {
    await service.describeNamespace({ namespace });
  } catch (err) {
    if (grpcCode(err) !== GRPC_NOT_FOUND) throw err;
    await service
      .registerNamespace({
        namespace,
        workflowExecutionRetentionPeriod: google.protobuf.Duration.fromObject({ seconds: RETENTION_SECONDS }),
      })
      .catch((registerError: unknown) => {
        if (grpcCode(registerError) !== GRPC_ALREADY_EXISTS) throw registerError;
      });
  }
  // A new namespace reaches the frontend's cache some seconds after it is registered.
  await whileNotFound(() => service.countWorkflowExecutions({ namespace }));
  await whileNotFound(() => ensureSearchAttributes(connection, namespace));
}

async function whileNotFound<T>(call: () => Promise<T>): Promise<T> {
  const deadline = Date.now() + NAMESPACE_READY_MS;
  for (;;) {
    try {
      return await call();
    } catch (err) {
      if (grpcCode(err) !== GRPC_NOT_FOUND || Date.now() > deadline) throw err;
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
  }
}

async function ensureSearchAttributes(connection: Connection, namespace: string): Promise<void> {
  const existing = await connection.operatorService.listSearchAttributes({ namespace });
  const missing = OPARETA_SEARCH_ATTRIBUTES.filter((key) => !existing.customAttributes?.[key.name]);
  if (missing.length === 0) return;
  const indexedType = proto.api.enums.v1.IndexedValueType;
  await connection.operatorService.addSearchAttributes({
    namespace,
    searchAttributes: Object.fromEntries(
      missing.map((key) => [key.name, indexedType[`INDEXED_VALUE_TYPE_${key.type}` as keyof typeof indexedType]]),
    ),
  });
}

/** A port nobody listens on now, for the bench worker's Prometheus endpoint. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}
