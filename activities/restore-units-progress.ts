import type { RestoreUnitInFlight, RestoreUnitsProgress } from '../shared/activity-contract';
import type { ServiceConfig } from '../shared/node/topology';
import { MAINTENANCE_DATABASE, type PostgresAccess } from './postgres';
import type { UnitRouter } from './parallel-restore';
import type { RunningUnit, UnitConnection } from './unit-connection';

const APPLICATION_PREFIX = 'opareta-restore-';

/** The application_name of a restore connection: pg_stat_activity tells the connections apart by it. */
export function restoreApplicationName(connection: number): string {
  return `${APPLICATION_PREFIX}${connection}`;
}

/** How far the server is with the statement a connection runs: 0-1, from its progress views. */
export type ServerProgress = Map<number, number>;

/**
 * Reads the server's own progress of each restore connection's statement: pg_stat_progress_copy (bytes of the
 * COPY chunk it has read) and pg_stat_progress_create_index (blocks, else tuples, of the index it builds).
 * Polled at each heartbeat, in the background: a heartbeat never waits for it, and a server without these
 * views (before PostgreSQL 14) just shows no percentages.
 */
export class ServerProgressReader {
  private latest: { copyBytes: Map<number, number>; indexShare: Map<number, number> } = {
    copyBytes: new Map(),
    indexShare: new Map(),
  };
  private polling = false;

  constructor(
    private readonly postgres: PostgresAccess,
    private readonly config: ServiceConfig,
    private readonly database: string,
  ) {}

  /** The last reading; starts the next one unless one is running. */
  poll(): ServerProgressReader['latest'] {
    if (!this.polling) {
      this.polling = true;
      this.read()
        .then((reading) => (this.latest = reading))
        .catch(() => undefined)
        .finally(() => (this.polling = false));
    }
    return this.latest;
  }

  private read(): Promise<ServerProgressReader['latest']> {
    return this.postgres.withClient(this.config, MAINTENANCE_DATABASE, async (client) => {
      const { rows } = await client.query<{
        name: string;
        copy_bytes: string | null;
        blocks_done: string | null;
        blocks_total: string | null;
        tuples_done: string | null;
        tuples_total: string | null;
      }>(
        `SELECT a.application_name AS name, c.bytes_processed AS copy_bytes, i.blocks_done, i.blocks_total,
                i.tuples_done, i.tuples_total
           FROM pg_stat_activity a
           LEFT JOIN pg_stat_progress_copy c ON c.pid = a.pid
           LEFT JOIN pg_stat_progress_create_index i ON i.pid = a.pid
          WHERE a.datname = $1 AND a.application_name LIKE $2`,
        [this.database, `${APPLICATION_PREFIX}%`],
      );
      const copyBytes = new Map<number, number>();
      const indexShare = new Map<number, number>();
      for (const row of rows) {
        const connection = Number(row.name.slice(APPLICATION_PREFIX.length));
        if (row.copy_bytes !== null) copyBytes.set(connection, Number(row.copy_bytes));
        const share = ratio(row.blocks_done, row.blocks_total) ?? ratio(row.tuples_done, row.tuples_total);
        if (share !== undefined) indexShare.set(connection, share);
      }
      return { copyBytes, indexShare };
    });
  }
}

function ratio(done: string | null, total: string | null): number | undefined {
  const d = Number(done);
  const t = Number(total);
  return done !== null && total !== null && t > 0 ? Math.min(1, d / t) : undefined;
}

/** The per-unit view of a restore for its heartbeat details and progress signals. */
export function unitsProgress(
  router: UnitRouter,
  connections: UnitConnection[],
  jobs: number,
  server: ReturnType<ServerProgressReader['poll']> = { copyBytes: new Map(), indexShare: new Map() },
): RestoreUnitsProgress {
  const now = Date.now();
  const view = (unit: RunningUnit, connection: number, share: number | undefined): RestoreUnitInFlight => {
    const seconds = Math.round((now - unit.startedAt) / 100) / 10;
    const base = { label: unit.label, connection, seconds, bytesSent: unit.bytesSent };
    if (share === undefined || share <= 0) return base;
    return { ...base, percent: Math.round(share * 1000) / 10, etaSeconds: Math.round((seconds * (1 - share)) / share) };
  };
  // Only the first unit of a connection (or of its COPY session) runs; the ones behind it wait in its input.
  const inFlight = connections.flatMap((connection) => {
    const n = connection.number;
    const copied = server.copyBytes.get(n);
    return [
      ...connection.inFlight.map((unit, i) => view(unit, n, i === 0 ? server.indexShare.get(n) : undefined)),
      ...(connection.copy?.inFlight ?? []).map((unit, i) =>
        view(
          unit,
          n,
          i === 0 && copied !== undefined && unit.bytesSent > 0 ? Math.min(1, copied / unit.bytesSent) : undefined,
        ),
      ),
    ];
  });
  return {
    jobs,
    busyConnections: connections.filter((c) => c.busy).length,
    unitsDone: router.scheduler.unitsDone,
    unitsSkipped: router.unitsSkipped,
    inFlight,
    ...(router.unitsSkipped > 0 && router.lastSkipped ? { resumedFrom: router.lastSkipped } : {}),
  };
}
