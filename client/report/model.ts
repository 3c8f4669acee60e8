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
}

export interface DrillReport {
  generatedAt: string;
  since: string;
  rtoMinutes: number;
  rpoHours: number;
  points: DrillPoint[];
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
}

export function summarize(report: DrillReport): ServiceSummary[] {
  const services = [...new Set(report.points.map((p) => p.service))].sort();
  return services.map((service) => {
    const points = report.points.filter((p) => p.service === service);
    const last = points.reduce<DrillPoint | undefined>((a, p) => (!a || p.startedAt > a.startedAt ? p : a), undefined);
    return {
      service,
      drills: points.length,
      passed: points.filter((p) => p.passed).length,
      failed: points.filter((p) => !p.passed).length,
      worstRestoreSeconds: maxOf(points.map((p) => p.restoreSeconds)),
      worstBackupAgeHours: maxOf(points.map((p) => p.backupAgeHours)),
      lastDrillAt: last?.startedAt,
      lastPassed: last?.passed,
    };
  });
}

function maxOf(values: (number | undefined)[]): number | undefined {
  const defined = values.filter((v): v is number => v !== undefined);
  return defined.length ? Math.max(...defined) : undefined;
}
