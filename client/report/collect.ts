import { WorkflowFailedError, type Client } from '@temporalio/client';
import { restoreDrill } from '../../workflows';
import type { DrillPoint } from './model';

type ServicePart = Record<string, unknown>;

/** Reads every restoreDrill started since `since` from Temporal visibility, with its report or its failure. */
export async function collectDrillPoints(client: Client, since: Date): Promise<DrillPoint[]> {
  const query = `WorkflowType = '${restoreDrill.name}' AND StartTime > '${since.toISOString()}'`;
  const points: DrillPoint[] = [];
  for await (const execution of client.workflow.list({ query })) {
    if (execution.status.name === 'RUNNING') continue;
    const startedAt = execution.startTime.toISOString();
    const handle = client.workflow.getHandle(execution.workflowId, execution.runId);
    try {
      const result = (await handle.result()) as { services?: ServicePart[] | Record<string, ServicePart> };
      for (const part of serviceParts(result.services)) points.push(toPoint(execution.workflowId, startedAt, part));
    } catch (err) {
      const reason = err instanceof WorkflowFailedError ? failureMessage(err) : (err as Error).message;
      points.push({ workflowId: execution.workflowId, service: 'all', startedAt, passed: false, reason });
    }
  }
  return points;
}

function serviceParts(services: ServicePart[] | Record<string, ServicePart> | undefined): ServicePart[] {
  if (!services) return [];
  if (Array.isArray(services)) return services;
  return Object.entries(services).map(([service, part]) => ({ service, ...part }));
}

function toPoint(workflowId: string, startedAt: string, part: ServicePart): DrillPoint {
  const backup = part.backup as { file?: string; ageHours?: number } | undefined;
  const forecast = part.forecast as { projectedSeconds?: unknown; warning?: unknown } | undefined;
  return {
    workflowId,
    service: String(part.service),
    startedAt,
    passed: part.passed === true,
    restoreSeconds: numberOrUndefined(part.restoreSeconds),
    backupAgeHours: numberOrUndefined(part.backupAgeHours ?? backup?.ageHours),
    backupFile: (part.backupFile as string | undefined) ?? backup?.file,
    projectedRestoreSeconds: numberOrUndefined(forecast?.projectedSeconds),
    forecastWarning: typeof forecast?.warning === 'string' ? forecast.warning : undefined,
    rtoMinutes: numberOrUndefined(part.rtoMinutes),
    rpoHours: numberOrUndefined(part.rpoHours),
    standby: describeStandby(part.standby),
    reason: (part.reason ?? part.error ?? (Array.isArray(part.failures) ? part.failures.join('; ') : undefined)) as
      string | undefined,
  };
}

/** `argus_db_standby_… kept (12.3 MB) of argus_….sql.gz`, or `none: <why>`. */
function describeStandby(value: unknown): string | undefined {
  const standby = value as
    { kept?: boolean; database?: string; sizeBytes?: number; backupFile?: string; reason?: string } | undefined;
  if (!standby || typeof standby.kept !== 'boolean') return undefined;
  if (!standby.kept) return `none: ${standby.reason ?? 'unknown'}`;
  const size =
    typeof standby.sizeBytes === 'number' ? `, ${(standby.sizeBytes / 1024 ** 2).toFixed(1)} MB on disk` : '';
  return `${standby.database} (${standby.backupFile}${size})`;
}

function numberOrUndefined(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
}

function failureMessage(err: WorkflowFailedError): string {
  const cause = err.cause as { message?: string; cause?: { message?: string } } | undefined;
  return cause?.cause?.message ?? cause?.message ?? err.message;
}
