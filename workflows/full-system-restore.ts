import { workflowInfo } from '@temporalio/workflow';
import {
  fullSystemRestoreInputSchema,
  type BackupChoice,
  type FullSystemRestoreInput,
  type FullSystemRestoreResult,
} from '../shared/workflow-types';
import { quick } from './activity-proxies';
import { RestoreEngine, restoreRequest } from './restore/engine';
import { parseInput } from './validate';

/**
 * The runbook's full-system restore: every service (or the ones named) from one generation, restored in
 * parallel beside the live databases, one approval, then all swapped or none. `{}` restores the newest
 * backup of each service and reports how far apart in time they are.
 */
export async function fullSystemRestore(input: FullSystemRestoreInput): Promise<FullSystemRestoreResult> {
  const request = parseInput('fullSystemRestore', fullSystemRestoreInputSchema, input);
  const services = [...new Set(request.services ?? (await quick.listServices()))];
  const choice: BackupChoice =
    request.timestamp === 'latest' ? { kind: 'latest' } : { kind: 'timestamp', timestamp: request.timestamp };
  const targets = services.map((service) => ({ service, choice }));
  const engine = new RestoreEngine(restoreRequest('full-restore', targets, request));
  const run = await engine.run();
  return {
    workflowId: workflowInfo().workflowId,
    timestamp: request.timestamp,
    mode: request.mode,
    dryRun: request.dryRun,
    outcome: run.outcome,
    detail: run.detail,
    plan: run.plan,
    approval: run.approval,
    timeSkewHours: run.timeSkewHours,
    downtimeSeconds: run.downtimeSeconds,
    totalSeconds: run.totalSeconds,
    rolledBack: run.rolledBack,
    compensations: run.compensations,
    services: run.services,
  };
}
