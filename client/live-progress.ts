import { defaultPayloadConverter, type WorkflowHandle } from '@temporalio/client';
import type { ProgressView } from './progress-bar';

interface RestoreHeartbeat {
  service?: string;
  bytesDone?: number;
  bytesTotal?: number;
  percent?: number;
  etaSeconds?: number;
}

/**
 * The workflow's `progress` query gives the step and plan; byte progress of a restore that is running
 * right now lives in its activity's last heartbeat, which only the server sees. Merge the two.
 */
export async function readLiveProgress(handle: WorkflowHandle): Promise<ProgressView | undefined> {
  const progress = await handle.query<ProgressView>('progress').catch(() => undefined);
  const description = await handle.describe();
  const view: ProgressView = { step: progress?.step ?? 'unknown', services: { ...(progress?.services ?? {}) } };
  for (const activity of description.raw.pendingActivities ?? []) {
    const payload = activity.heartbeatDetails?.payloads?.[0];
    if (activity.activityType?.name !== 'restoreBackup' || !payload) continue;
    const beat = defaultPayloadConverter.fromPayload<RestoreHeartbeat>(payload);
    const service = beat.service ?? 'restore';
    view.services![service] = { ...view.services![service], ...beat, step: view.services![service]?.step ?? 'restore' };
  }
  return progress || Object.keys(view.services!).length ? view : undefined;
}
