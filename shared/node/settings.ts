import { existsSync } from 'node:fs';
import path from 'node:path';

/**
 * The folder holding package.json: two levels up from the sources (shared/node/), three from the build
 * (dist/shared/node/). Config, .data and the sandbox's SQL and image files are found from here.
 */
export const projectRoot = findProjectRoot(__dirname);

function findProjectRoot(start: string): string {
  for (let dir = start; ; dir = path.dirname(dir)) {
    if (existsSync(path.join(dir, 'package.json'))) return dir;
    if (path.dirname(dir) === dir) return path.resolve(__dirname, '../..');
  }
}

/** Every default and every environment variable the project reads, in one place. */

export const settings = {
  taskQueue: process.env.OPARETA_TASK_QUEUE ?? 'opareta-dr',
  namespace: process.env.TEMPORAL_NAMESPACE ?? 'default',
  temporalAddress: process.env.TEMPORAL_ADDRESS ?? 'localhost:7233',
  temporalUiUrl: process.env.TEMPORAL_UI_URL ?? 'http://localhost:8233',
  /** The topology: the sandbox unless OPARETA_CONFIG points at another file (config/production.json). */
  configFile: path.resolve(process.env.OPARETA_CONFIG ?? path.join(projectRoot, 'config', 'sandbox.json')),
  dataDir: path.resolve(process.env.OPARETA_DATA_DIR ?? path.join(projectRoot, '.data')),
  notifyWebhookUrl: process.env.OPARETA_NOTIFY_WEBHOOK_URL || undefined,
  metricsPort: Number(process.env.OPARETA_METRICS_PORT ?? 9464),
  /** Bytes of live tables a snapshot may read to count rows exactly; larger tables get the catalog's estimate. */
  exactCountBudgetBytes: Number(process.env.OPARETA_EXACT_COUNT_BUDGET_BYTES ?? 1024 ** 3),
  /** One exact count of a live table that takes longer gives way to the estimate. */
  exactCountTimeoutMs: Number(process.env.OPARETA_EXACT_COUNT_TIMEOUT_MS ?? 60_000),
};
