import type { WorkflowHandle } from '@temporalio/client';
import { addActivity } from '../../sandbox';
import type { FullSystemRestoreResult, RestoreDatabaseResult } from '../../shared/workflow-types';
import { fullSystemRestore, restoreDatabase } from '../../workflows';
import type { ChaosGeneration } from './backups';
import { repairContainers, repairService } from './containers';
import { allowConnections, databasesOf, dropDatabaseForce, renameDatabaseForce, restoreRoles } from './db';
import { fingerprintDatabase, type Fingerprint } from './fingerprint';
import { classifyDatabases, serviceState, type ServiceState } from './invariants';
import type { Scenario } from './scenarios';
import type { ChaosStack } from './stack';
import { isClosed, MomentMissed, sleep } from './watch';

export const TARGET_SERVICE = 'argus';
const HEALTH_TIMEOUT_SECONDS = 60;

export interface RunResult {
  scenario: string;
  run: number;
  passed: boolean;
  problems: string[];
  outcomes: string[];
  services: ServiceState[];
  /** Start to close of the first workflow; undefined when it did not close by the deadline. */
  workflowSeconds?: number;
  restoreSeconds?: number;
  workerCrashes: number;
}

interface Closed {
  outcome: string;
  seconds?: number;
  restoreSeconds?: number;
  detail: string;
}

async function closedOutcome(handle: WorkflowHandle): Promise<Closed> {
  const description = await handle.describe().catch(() => undefined);
  const status = description?.status.name ?? 'UNKNOWN';
  const seconds = description?.closeTime && (description.closeTime.getTime() - description.startTime.getTime()) / 1000;
  if (status === 'COMPLETED') {
    const result = (await handle.result()) as RestoreDatabaseResult | FullSystemRestoreResult;
    const restoreSeconds =
      'services' in result
        ? Math.max(...result.services.map((s) => s.restoreSeconds ?? 0))
        : (result as RestoreDatabaseResult).restoreSeconds;
    return { outcome: result.outcome, seconds, restoreSeconds, detail: result.detail };
  }
  if (status === 'FAILED') {
    const detail = await handle.result().then(
      () => '',
      (err: unknown) => String((err as { cause?: Error }).cause?.message ?? err),
    );
    return { outcome: 'failed', seconds, detail };
  }
  return { outcome: status.toLowerCase(), seconds, detail: `workflow ${status}` };
}

/** Until every workflow has closed, or the run's deadline. */
async function untilClosed(handles: WorkflowHandle[], deadlineMs: number): Promise<boolean> {
  for (;;) {
    const open = [];
    for (const handle of handles) if (!(await isClosed(handle))) open.push(handle);
    if (open.length === 0) return true;
    if (Date.now() > deadlineMs) return false;
    await sleep(1_000);
  }
}

export interface RunOptions {
  generation: ChaosGeneration;
  deadlineSeconds: number;
  log: (line: string) => void;
}

export async function runScenario(
  stack: ChaosStack,
  scenario: Scenario,
  run: number,
  options: RunOptions,
): Promise<RunResult> {
  const { generation, log } = options;
  const topology = stack.topology;
  const services = scenario.fullSystem ? Object.keys(topology.services) : [TARGET_SERVICE];
  const before: Record<string, Fingerprint> = {};
  const rolesBefore: Record<string, string[]> = {};
  for (const service of services) {
    // New rows since the last run, so "before" and "backup" never fingerprint alike.
    await addActivity(service, { topology });
    before[service] = await fingerprintDatabase(topology.services[service], topology.services[service].database);
    rolesBefore[service] = await restoreRoles(topology.services[service]);
  }
  stack.worker.takeCrashes();

  const deadlineMs = Date.now() + options.deadlineSeconds * 1000;
  const handles: WorkflowHandle[] = [];
  const baseId = `chaos-${scenario.name}-${run}-${process.pid}-${Date.now()}`;
  for (let i = 0; i < scenario.workflows; i += 1) {
    const workflowId = scenario.workflows > 1 ? `${baseId}-${i + 1}` : baseId;
    const common = { taskQueue: stack.taskQueue, workflowId };
    handles.push(
      scenario.fullSystem
        ? await stack.client.workflow.start(fullSystemRestore, {
            ...common,
            args: [{ timestamp: generation.timestamp, healthTimeoutSeconds: HEALTH_TIMEOUT_SECONDS }],
          })
        : await stack.client.workflow.start(restoreDatabase, {
            ...common,
            args: [
              {
                service: TARGET_SERVICE,
                backup: generation.backups[TARGET_SERVICE].file,
                healthTimeoutSeconds: HEALTH_TIMEOUT_SECONDS,
              },
            ],
          }),
    );
  }

  const problems: string[] = [];
  const injected = scenario
    .inject({
      stack,
      handles,
      target: topology.services[TARGET_SERVICE],
      targetService: TARGET_SERVICE,
      deadlineMs,
      log,
    })
    .catch((err: unknown) => {
      problems.push(err instanceof MomentMissed ? `fault not injected: ${err.message}` : `fault: ${String(err)}`);
    });
  const closed = await untilClosed(handles, deadlineMs);
  await injected;
  if (!closed) problems.push(`workflow still running after the ${options.deadlineSeconds} s deadline`);

  const outcomes: Closed[] = [];
  for (const handle of handles) outcomes.push(await closedOutcome(handle));
  const restored = outcomes.some((o) => o.outcome === 'restored');
  const states: ServiceState[] = [];
  for (const service of services) {
    const config = topology.services[service];
    const candidates = { before: before[service], backup: generation.backups[service].fingerprint };
    const state = await serviceState(service, config, candidates, restored, rolesBefore[service]);
    states.push(state);
    const promised = restored ? 'backup' : 'before';
    if (state.matches === 'neither') {
      problems.push(`${service}: live ${state.live ? 'matches neither before nor the backup' : 'is gone'}`);
    } else if (closed && state.matches !== promised) {
      problems.push(`${service}: live holds the ${state.matches} rows but the outcome says ${outcomes[0].outcome}`);
    }
    if (!state.healthy) problems.push(`${service}: unhealthy ${state.unhealthy.join(', ')}`);
    if (state.leftovers.length > 0) problems.push(`${service}: left ${state.leftovers.join(', ')}`);
  }
  const outcomeProblem = scenario.checkOutcomes?.(outcomes.map((o) => o.outcome));
  if (closed && outcomeProblem) problems.push(outcomeProblem);
  const crashes = stack.worker.takeCrashes();
  if (crashes.count > 0) problems.push(`worker crashed ${crashes.count}x: ${crashes.lines.join(' || ')}`);
  for (const o of outcomes) if (o.outcome !== 'restored') log(`chaos:   outcome ${o.outcome}: ${o.detail}`);

  await recover(stack, services, log);
  return {
    scenario: scenario.name,
    run,
    passed: problems.length === 0,
    problems,
    outcomes: outcomes.map((o) => o.outcome),
    services: states,
    workflowSeconds: outcomes[0].seconds,
    restoreSeconds: outcomes[0].restoreSeconds,
    workerCrashes: crashes.count,
  };
}

/**
 * Puts the stack back for the next run whatever this one left: no workflow running, server, worker and
 * containers up, the live database present, side databases and kept copies dropped (they were counted).
 */
async function recover(stack: ChaosStack, services: string[], log: (line: string) => void): Promise<void> {
  if (!stack.server.running) await stack.server.start();
  for await (const workflow of stack.client.workflow.list({ query: 'ExecutionStatus="Running"' })) {
    log(`chaos:   terminating ${workflow.workflowId}, still running`);
    await stack.client.workflow
      .getHandle(workflow.workflowId, workflow.runId)
      .terminate('chaos run over')
      .catch(() => undefined);
  }
  await stack.worker.ensureRunning();
  for (const service of services) {
    const config = stack.topology.services[service];
    await repairContainers(config);
    await allowConnections(config);
    const names = await databasesOf(config);
    const { leftovers, kept } = classifyDatabases(config, names);
    if (!names.includes(config.database)) {
      const newest = kept
        .filter((name) => name.includes('_pre_restore_'))
        .sort()
        .at(-1);
      if (!newest) throw new Error(`${service}: live database ${config.database} gone and no pre-restore copy`);
      log(`chaos:   ${config.database} is gone; renaming ${newest} back`);
      await renameDatabaseForce(config, newest, config.database);
    }
    for (const name of [...leftovers, ...kept]) {
      if (name !== config.database && (await databasesOf(config)).includes(name)) await dropDatabaseForce(config, name);
    }
    // Apps restarted so they hold connections to the (possibly renamed back) live database.
    await repairService(config);
  }
}
