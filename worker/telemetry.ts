import { DefaultLogger, Runtime, makeTelemetryFilterString } from '@temporalio/worker';
import type { LogLevel, LogMetadata } from '@temporalio/worker';

/**
 * Installs the SDK runtime once: structured JSON logs on stdout (one object a line, for log shippers)
 * and the Prometheus endpoint that carries the SDK's metrics and ours (worker/metrics/).
 */
export function installRuntime(metricsPort: number): void {
  const logger = new DefaultLogger('INFO', ({ level, message, meta, timestampNanos }) => {
    const time = new Date(Number(timestampNanos / 1_000_000n)).toISOString();
    process.stdout.write(JSON.stringify({ time, level, message, ...sanitize(meta) }) + '\n');
  });
  Runtime.install({
    logger,
    telemetryOptions: {
      logging: { filter: makeTelemetryFilterString({ core: 'WARN' as LogLevel }), forward: {} },
      metrics: { prometheus: { bindAddress: `0.0.0.0:${metricsPort}` } },
    },
  });
}

/** Long opaque values that make log lines hard to read and help nobody at 3 a.m. */
const OMITTED_KEYS = new Set(['taskToken']);

function sanitize(meta: LogMetadata | undefined): LogMetadata {
  if (!meta) return {};
  return Object.fromEntries(
    Object.entries(meta)
      .filter(([key]) => !OMITTED_KEYS.has(key))
      // BigInts (sequence numbers) cannot be serialised by JSON.stringify.
      .map(([key, value]) => [key, typeof value === 'bigint' ? value.toString() : value]),
  );
}
