import { workflowInfo } from '@temporalio/workflow';
import {
  restoreDatabaseInputSchema,
  type BackupChoice,
  type RestoreDatabaseInput,
  type RestoreDatabaseRequest,
  type RestoreDatabaseResult,
} from '../shared/workflow-types';
import { RestoreEngine, restoreRequest } from './restore/engine';
import { parseInput } from './validate';

/**
 * Restores one service's database from a backup: beside the live one, verified, optionally approved,
 * then swapped in; swapped back when the apps are not healthy on it. `{"service":"argus"}` is enough.
 */
export async function restoreDatabase(input: RestoreDatabaseInput): Promise<RestoreDatabaseResult> {
  const request = parseInput('restoreDatabase', restoreDatabaseInputSchema, input);
  const targets = [{ service: request.service, choice: backupChoice(request) }];
  const engine = new RestoreEngine(restoreRequest('restore', targets, request));
  const run = await engine.run();
  const [service] = run.services;
  return {
    ...service,
    workflowId: workflowInfo().workflowId,
    mode: request.mode,
    dryRun: request.dryRun,
    detail: run.detail,
    plan: run.plan,
    approval: run.approval,
    downtimeSeconds: run.downtimeSeconds ?? service.downtimeSeconds,
    totalSeconds: run.totalSeconds,
    rolledBack: run.rolledBack || service.rolledBack,
    compensations: run.compensations,
  };
}

function backupChoice(request: RestoreDatabaseRequest): BackupChoice {
  if (request.before) return { kind: 'before', before: request.before };
  if (request.backup === 'latest') return { kind: 'latest' };
  return { kind: 'file', file: request.backup };
}
