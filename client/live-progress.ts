import { defaultPayloadConverter, type Client, type WorkflowHandle } from '@temporalio/client';
import { RESTORE_BACKUP_ACTIVITY, type RestoreProgressUpdate } from '../shared/activity-contract';
import type { WorkflowProgress } from '../shared/workflow-types';
import { progressQuery } from '../workflows/definitions';

type Services = WorkflowProgress['services'];

/**
 * The workflow's progress query (progressQuery) gives the step and plan; byte progress of a restore running
 * right now lives in its activity's last heartbeat, which only the server sees, possibly in a child workflow
 * (a drill runs one child per service). Merge the query with the heartbeats of the workflow and its children.
 */
export async function readLiveProgress(client: Client, handle: WorkflowHandle): Promise<WorkflowProgress | undefined> {
  const progress = await handle.query(progressQuery).catch(() => undefined);
  const services: Services = { ...(progress?.services ?? {}) };
  const description = await handle.describe();
  mergeHeartbeats(services, description.raw.pendingActivities ?? []);
  for (const child of description.raw.pendingChildren ?? []) {
    if (!child.workflowId) continue;
    const childDescription = await client.workflow
      .getHandle(child.workflowId, child.runId ?? undefined)
      .describe()
      .catch(() => undefined);
    mergeHeartbeats(services, childDescription?.raw.pendingActivities ?? []);
  }
  if (!progress && Object.keys(services).length === 0) return undefined;
  return { step: progress?.step ?? 'unknown', plan: progress?.plan ?? [], services };
}

type PendingActivity = {
  activityType?: { name?: string | null } | null;
  heartbeatDetails?: { payloads?: unknown[] | null } | null;
};

function mergeHeartbeats(services: Services, pending: PendingActivity[]): void {
  for (const activity of pending) {
    const payload = activity.heartbeatDetails?.payloads?.[0];
    if (activity.activityType?.name !== RESTORE_BACKUP_ACTIVITY || !payload) continue;
    const beat = defaultPayloadConverter.fromPayload<Partial<RestoreProgressUpdate>>(payload as never);
    const service = beat.service ?? 'restore';
    services[service] = {
      step: 'restoring',
      bytesDone: beat.bytesDone ?? services[service]?.bytesDone ?? 0,
      bytesTotal: beat.bytesTotal ?? services[service]?.bytesTotal ?? 0,
      percent: beat.percent ?? services[service]?.percent ?? 0,
      etaSeconds: beat.etaSeconds ?? services[service]?.etaSeconds,
      // As the heartbeat has them: the live connections and units of a parallel restore.
      units: beat.units ?? services[service]?.units,
    };
  }
}
