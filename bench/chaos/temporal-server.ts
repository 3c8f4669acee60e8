import path from 'node:path';
import { chaosStack } from '../derived-topology';
import { TemporalDevServer } from '../temporal-dev-server';

/**
 * The suite's own Temporal dev server (gRPC 7333, UI 8333, history in .data/chaos/temporal.db), so the
 * "kill the Temporal server" scenario stops nobody else's workflows; the same db file survives a kill and restart.
 */
export const CHAOS_TEMPORAL_PORT = Number(process.env.CHAOS_TEMPORAL_PORT ?? 7333);
export const CHAOS_TEMPORAL_UI_PORT = Number(process.env.CHAOS_TEMPORAL_UI_PORT ?? 8333);
export const chaosTemporalAddress = `localhost:${CHAOS_TEMPORAL_PORT}`;

export class ChaosTemporalServer extends TemporalDevServer {
  constructor() {
    super({
      name: 'chaos',
      port: CHAOS_TEMPORAL_PORT,
      uiPort: CHAOS_TEMPORAL_UI_PORT,
      databaseFile: path.join(chaosStack.dataDir, 'temporal.db'),
      logFile: path.join(chaosStack.dataDir, 'temporal-server.log'),
    });
  }
}
