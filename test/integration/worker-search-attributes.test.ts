import { Connection } from '@temporalio/client';
import { google } from '@temporalio/proto';
import { afterAll, describe, expect, it } from 'vitest';
import { temporalConnectConfig } from '../../shared/node/temporal-connection';
import { ensureSearchAttributes, type SearchAttributeAdmin } from '../../worker/search-attributes';
import { OPARETA_SEARCH_ATTRIBUTES } from '../../workflows/definitions';
import { startWorkerProcess } from '../support/worker-process';

/**
 * The worker registers the custom search attributes itself, so a compose deployment or a fresh namespace
 * needs no manual step. Against the real dev server, on a namespace of this test's own that lacks them.
 */
const namespace = `opareta-sa-test-${process.pid}-${Date.now()}`;
const names = OPARETA_SEARCH_ATTRIBUTES.map((k) => k.name).sort();
const KEYWORD = 2; // temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD
let connection: Connection | undefined;

async function connect(): Promise<Connection> {
  connection ??= await Connection.connect(temporalConnectConfig().connectionOptions);
  return connection;
}

afterAll(async () => {
  await connection?.operatorService.deleteNamespace({ namespace }).catch(() => undefined);
  await connection?.close();
});

/** A new namespace takes a moment to reach every part of the server. */
async function customAttributes(): Promise<Record<string, number>> {
  const operator = (await connect()).operatorService;
  for (let attempt = 0; ; attempt++) {
    try {
      return (await operator.listSearchAttributes({ namespace })).customAttributes ?? {};
    } catch (err) {
      if (attempt > 100) throw err;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }
}

const quiet = { info: () => undefined, warn: () => undefined };

describe('search attributes', () => {
  it('are registered by the worker at start on a namespace that lacks them, and again is a no-op', async () => {
    await (
      await connect()
    ).workflowService.registerNamespace({
      namespace,
      workflowExecutionRetentionPeriod: google.protobuf.Duration.fromObject({ seconds: 86_400 }),
    });
    const before = await customAttributes();
    expect(Object.keys(before).filter((name) => names.includes(name))).toEqual([]);

    const worker = await startWorkerProcess({
      TEMPORAL_NAMESPACE: namespace,
      OPARETA_TASK_QUEUE: `opareta-dr-test-sa-${process.pid}`,
      OPARETA_METRICS_PORT: String(17000 + (process.pid % 1000)),
    });
    try {
      const after = await customAttributes();
      expect(Object.fromEntries(names.map((name) => [name, after[name]]))).toEqual(
        Object.fromEntries(names.map((name) => [name, KEYWORD])),
      );
      expect(worker.output()).toMatch(/registered search attributes/);
    } finally {
      await worker.stop();
    }

    const again = await ensureSearchAttributes((await connect()).operatorService, namespace, quiet);
    expect(again).toEqual({ status: 'present', added: [] });
  }, 240_000);

  it('where the operator API is refused (Temporal Cloud), warn with the command to run and go on', async () => {
    const denied = Object.assign(new Error('7 PERMISSION_DENIED: Request unauthorized.'), { code: 7 });
    const operator: SearchAttributeAdmin = {
      listSearchAttributes: () => Promise.reject(denied),
      addSearchAttributes: () => Promise.reject(new Error('not reached')),
    };
    const warnings: Record<string, unknown>[] = [];
    const result = await ensureSearchAttributes(operator, 'prod.a1b2c', {
      info: () => undefined,
      warn: (message, meta) => warnings.push({ message, ...meta }),
    });
    expect(result).toEqual({
      status: 'not-permitted',
      missing: OPARETA_SEARCH_ATTRIBUTES.map((k) => k.name),
      reason: denied.message,
    });
    expect(warnings).toHaveLength(1);
    expect(warnings[0].command).toBe(
      'temporal operator search-attribute create --namespace prod.a1b2c ' +
        OPARETA_SEARCH_ATTRIBUTES.map((k) => `--name ${k.name} --type Keyword`).join(' '),
    );
  });

  it('any other failure stops the start with it', async () => {
    const unavailable = Object.assign(new Error('14 UNAVAILABLE: connection refused'), { code: 14 });
    const operator: SearchAttributeAdmin = {
      listSearchAttributes: () => Promise.reject(unavailable),
      addSearchAttributes: () => Promise.reject(new Error('not reached')),
    };
    await expect(ensureSearchAttributes(operator, 'default', quiet)).rejects.toThrow('UNAVAILABLE');
  });
});
