/** One service's part of one drill, as the report shows it. */
export interface DrillPoint {
  workflowId: string;
  service: string;
  startedAt: string; // ISO
  passed: boolean;
  restoreSeconds?: number;
  backupAgeHours?: number;
  backupFile?: string;
  reason?: string;
  /** The restore time of the live database's size at this drill's rate, and its warning past 80% of the RTO. */
  projectedRestoreSeconds?: number;
  forecastWarning?: string;
  /** The targets the worker's topology set when this drill ran. */
  rtoMinutes?: number;
  rpoHours?: number;
  /** The warm standby this drill kept (name, disk, backup), or why none: absent from drills before it. */
  standby?: string;
}

export interface DrillReport {
  generatedAt: string;
  since: string;
  rtoMinutes: number;
  rpoHours: number;
  points: DrillPoint[];
}

/** Used only when no drill in the period carries its targets (nothing to chart then): the topology's defaults. */
const DEFAULT_TARGETS = { rtoMinutes: 30, rpoHours: 24 };

/**
 * The RTO and RPO to draw: those of the newest drill that carries them, as the worker's topology had them.
 * Not the local config: the CLI may run on a machine whose config is not the worker's.
 */
export function reportTargets(points: readonly DrillPoint[]): { rtoMinutes: number; rpoHours: number } {
  const newest = [...points]
    .filter((p) => p.rtoMinutes !== undefined && p.rpoHours !== undefined)
    .sort((a, b) => b.startedAt.localeCompare(a.startedAt))[0];
  return newest ? { rtoMinutes: newest.rtoMinutes!, rpoHours: newest.rpoHours! } : DEFAULT_TARGETS;
}

export interface ServiceSummary {
  service: string;
  drills: number;
  passed: number;
  failed: number;
  worstRestoreSeconds?: number;
  worstBackupAgeHours?: number;
  lastDrillAt?: string;
  lastPassed?: boolean;
  /** From the newest drill that made a forecast: what a restore of production would take today. */
  projectedRestoreSeconds?: number;
  forecastWarning?: string;
  /** What the newest drill did about the warm standby. */
  standby?: string;
}

export function summarize(report: DrillReport): ServiceSummary[] {
  const services = [...new Set(report.points.map((p) => p.service))].sort();
  return services.map((service) => {
    const points = report.points.filter((p) => p.service === service);
    const last = newest(points);
    const forecast = newest(points.filter((p) => p.projectedRestoreSeconds !== undefined));
    const standby = newest(points.filter((p) => p.standby !== undefined));
    return {
      service,
      drills: points.length,
      passed: points.filter((p) => p.passed).length,
      failed: points.filter((p) => !p.passed).length,
      worstRestoreSeconds: maxOf(points.map((p) => p.restoreSeconds)),
      worstBackupAgeHours: maxOf(points.map((p) => p.backupAgeHours)),
      lastDrillAt: last?.startedAt,
      lastPassed: last?.passed,
      projectedRestoreSeconds: forecast?.projectedRestoreSeconds,
      forecastWarning: forecast?.forecastWarning,
      standby: standby?.standby,
    };
  });
}

function newest(points: DrillPoint[]): DrillPoint | undefined {
  return points.reduce<DrillPoint | undefined>((a, p) => (!a || p.startedAt > a.startedAt ? p : a), undefined);
}

function maxOf(values: (number | undefined)[]): number | undefined {
  const defined = values.filter((v): v is number => v !== undefined);
  return defined.length ? Math.max(...defined) : undefined;
}
