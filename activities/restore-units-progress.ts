import type { RestoreUnitsProgress } from '../shared/activity-contract';
import type { UnitRouter } from './parallel-restore';
import type { UnitConnection } from './unit-connection';

/** The per-unit view of a restore for its heartbeat details and progress signals. */
export function unitsProgress(router: UnitRouter, connections: UnitConnection[], jobs: number): RestoreUnitsProgress {
  const now = Date.now();
  const inFlight = connections.flatMap((connection) =>
    connection.inFlight.map((unit) => ({
      label: unit.label,
      connection: connection.number,
      seconds: Math.round((now - unit.startedAt) / 100) / 10,
      bytesSent: unit.bytesSent,
    })),
  );
  return {
    jobs,
    busyConnections: connections.filter((c) => c.inFlight.length > 0).length,
    unitsDone: router.scheduler.unitsDone,
    unitsSkipped: router.unitsSkipped,
    inFlight,
    ...(router.unitsSkipped > 0 && router.lastSkipped ? { resumedFrom: router.lastSkipped } : {}),
  };
}
