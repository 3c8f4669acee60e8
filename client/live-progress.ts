import { defaultPayloadConverter, type Client, type WorkflowHandle } from '@temporalio/client';
import type { ProgressView } from './progress-bar';

interface RestoreHeartbeat {
  service?: string;
  bytesDone?: number;
  bytesTotal?: number;
  percent?: number;
  etaSeconds?: number;
}

type Services = NonNullable<ProgressView['services']>;

/**
 * The workflow's `progress` query gives the step and plan; byte progress of a restore running right now
 * lives in its activity's last heartbeat, which only the server sees, possibly in a child workflow (a
 * drill runs one child per service). Merge the query with the heartbeats of the workflow and its children.
 */
export async function readLiveProgress(client: Client, handle: WorkflowHandle): Promise<ProgressView | undefined> {
  const progress = await handle.query<ProgressView>('progress').catch(() => undefined);
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
  return { step: progress?.step ?? 'unknown', services };
}

type PendingActivity = {
  activityType?: { name?: string | null } | null;
  heartbeatDetails?: { payloads?: unknown[] | null } | null;
};

function mergeHeartbeats(services: Services, pending: PendingActivity[]): void {
  for (const activity of pending) {
    const payload = activity.heartbeatDetails?.payloads?.[0];
    if (activity.activityType?.name !== 'restoreBackup' || !payload) continue;
    const beat = defaultPayloadConverter.fromPayload<RestoreHeartbeat>(payload as never);
    const service = beat.service ?? 'restore';
    services[service] = { ...services[service], ...beat, step: 'restoring' };
  }
}
