import { Context } from '@temporalio/activity';
import type { EndpointHealth, HealthReport } from '../shared/activity-contract';

export interface HealthOptions {
  timeoutSeconds: number;
  requestTimeoutMs?: number;
  retryIntervalMs?: number;
}

/** One GET: healthy on a 2xx answer within the request timeout. */
export async function probe(url: string, requestTimeoutMs: number): Promise<EndpointHealth> {
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(requestTimeoutMs), redirect: 'manual' });
    await response.body?.cancel();
    return {
      url,
      healthy: response.ok,
      status: response.status,
      error: response.ok ? undefined : `HTTP ${response.status}`,
    };
  } catch (err) {
    const error = (err as Error).name === 'TimeoutError' ? `no answer within ${requestTimeoutMs} ms` : causeOf(err);
    return { url, healthy: false, error };
  }
}

function causeOf(err: unknown): string {
  const cause = (err as { cause?: { code?: string; message?: string } }).cause;
  return cause?.code ?? cause?.message ?? (err as Error).message;
}

/** Polls every endpoint until all are healthy or the deadline passes; the report has the last result of each. */
export async function waitForEndpoints(urls: string[], options: HealthOptions): Promise<HealthReport> {
  const requestTimeoutMs = options.requestTimeoutMs ?? 5_000;
  const retryIntervalMs = options.retryIntervalMs ?? 1_000;
  const deadline = Date.now() + options.timeoutSeconds * 1000;
  const signal = Context.current().cancellationSignal;
  const results = new Map<string, EndpointHealth>();
  for (;;) {
    const pending = urls.filter((url) => !results.get(url)?.healthy);
    const probed = await Promise.all(pending.map((url) => probe(url, requestTimeoutMs)));
    probed.forEach((result) => results.set(result.url, result));
    const endpoints = urls.map((url) => results.get(url)!);
    Context.current().heartbeat({ healthy: endpoints.filter((e) => e.healthy).length, of: urls.length });
    if (endpoints.every((e) => e.healthy) || Date.now() + retryIntervalMs > deadline || signal.aborted) {
      return { healthy: endpoints.every((e) => e.healthy), endpoints };
    }
    await new Promise((resolve) => setTimeout(resolve, retryIntervalMs));
  }
}
