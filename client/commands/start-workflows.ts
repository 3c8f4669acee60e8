import { WorkflowExecutionAlreadyStartedError, type Client } from '@temporalio/client';
import type { Workflow } from '@temporalio/common';
import type { Command } from 'commander';
import { settings } from '../../shared/node/settings';
import {
  fullSystemRestoreInputSchema,
  restoreDatabaseInputSchema,
  restoreDrillInputSchema,
  restoreWorkflowId,
} from '../../shared/workflow-types';
import { fullSystemRestore, restoreDatabase, restoreDrill } from '../../workflows';
import { action } from '../action';
import { checkWorkflowInput } from '../arguments';
import { assertKnownServices } from '../backup-catalogs';
import { CliError, emit, ExitCode } from '../output';
import { connectClient, workflowUiUrl } from '../temporal';
import { printOutcome } from './outcome';

interface StartOptions {
  json?: boolean;
  wait?: boolean;
}

/** Second-resolution UTC stamp for workflow IDs an SRE can read: 20261124T031500Z. */
function idStamp(): string {
  return new Date()
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z');
}

/** One line the Temporal UI shows in its list and on the workflow's page, e.g. "restore hermes from latest (swap)". */
function summarize(workflowType: string, input: Record<string, unknown>): string {
  const parts = Object.entries(input).map(
    ([key, value]) => `${key}=${Array.isArray(value) ? value.join(',') : String(value)}`,
  );
  return `${workflowType} ${parts.join(' ') || '(defaults)'} — started with opareta-dr by ${process.env.USER ?? 'unknown'}`;
}

/** The workflows the CLI starts, each taking one input object (see shared/workflow-types.ts). */
type StartableWorkflow = Workflow & ((input: never) => Promise<unknown>);

async function startAndMaybeWait<W extends StartableWorkflow>(
  workflow: W,
  workflowId: string,
  input: Parameters<W>[0],
  options: StartOptions,
  services: readonly string[],
): Promise<void> {
  const client = await connectClient();
  try {
    await assertKnownServices(client, services);
    const handle = await startOrExplain(client, workflow, workflowId, input);
    if (!options.wait) {
      emit(
        options,
        { workflowId: handle.workflowId, runId: handle.firstExecutionRunId, url: workflowUiUrl(handle.workflowId) },
        () =>
          [
            `started ${workflow.name}: ${handle.workflowId}`,
            `  follow:  opareta-dr status ${handle.workflowId} --watch`,
            `  UI:      ${workflowUiUrl(handle.workflowId)}`,
          ].join('\n'),
      );
      return;
    }
    if (!options.json)
      process.stderr.write(
        `started ${handle.workflowId}, waiting for the result (${workflowUiUrl(handle.workflowId)})\n`,
      );
    const result = await handle.result();
    printOutcome(options, workflow.name, handle.workflowId, result);
  } finally {
    await client.connection.close();
  }
}

async function startOrExplain<W extends StartableWorkflow>(
  client: Client,
  workflow: W,
  workflowId: string,
  input: Parameters<W>[0],
) {
  try {
    return await client.workflow.start(workflow, {
      taskQueue: settings.taskQueue,
      workflowId,
      args: [input] as Parameters<W>,
      staticSummary: summarize(workflow.name, input as Record<string, unknown>),
    });
  } catch (err) {
    if (err instanceof WorkflowExecutionAlreadyStartedError) {
      throw new CliError(
        `${workflowId} is already running; follow it with: opareta-dr status ${workflowId} --watch`,
        ExitCode.failed,
      );
    }
    throw err;
  }
}

/** A --jobs value as a number; the workflow's input schema says whether it is in range. */
function wholeNumber(value: string): number {
  return /^\d+$/.test(value) ? Number(value) : Number.NaN;
}

function compact(input: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(input).filter(([, v]) => v !== undefined));
}

export function registerStartCommands(program: Command): void {
  program
    .command('restore')
    .description('restore one database: beside the live one, verify, then swap (restoreDatabase)')
    .argument('<service>', 'service to restore, e.g. argus or hermes')
    .option('--backup <file>', 'backup file name, or "latest" (default)')
    .option('--before <iso-time>', 'newest backup taken before this time, e.g. 2026-11-23T00:00:00Z')
    .option('--mode <mode>', 'swap (default: apps keep running until the swap) or in-place (the runbook order)')
    .option('--require-approval', 'wait for `opareta-dr approve <id>` before the swap (production always does)')
    .option('--approval-timeout <duration>', 'how long to wait for approval, e.g. 30m (at most 24h)')
    .option('--skip-service-checks', "skip the service's verification SQL (row counts are still checked)")
    .option('--dry-run', 'show the plan and the expected loss; touch nothing')
    .option('--jobs <n>', "connections the restore loads with (default: the server's CPUs, at most 8)", wholeNumber)
    .option('--no-standby', 'restore from the backup even when a verified warm standby of it exists')
    .option('--wait', 'wait for the result')
    .option('--json', 'machine-readable output')
    .action(
      action(async (service: string, o: Record<string, string | boolean | undefined> & StartOptions) => {
        const input = compact({
          service,
          backup: o.backup,
          before: o.before,
          mode: o.mode,
          requireApproval: o.requireApproval,
          approvalTimeout: o.approvalTimeout,
          skipServiceChecks: o.skipServiceChecks,
          dryRun: o.dryRun,
          jobs: o.jobs,
          useStandby: o.standby === false ? false : undefined,
        });
        const request = checkWorkflowInput(restoreDatabase.name, restoreDatabaseInputSchema, input);
        // One ID per service: Temporal refuses a second restore of the same service while one runs.
        const workflowId = o.dryRun ? `${restoreWorkflowId(service)}-dry-run-${idStamp()}` : restoreWorkflowId(service);
        await startAndMaybeWait(restoreDatabase, workflowId, request, o, [service]);
      }),
    );

  program
    .command('full-restore')
    .description('restore every database from one backup generation, all or nothing (fullSystemRestore)')
    .option('--timestamp <stamp>', '"latest" (default) or a generation, YYYYMMDD_HHMMSS')
    .option('--services <names...>', 'only these services')
    .option('--mode <mode>', 'swap (default) or in-place')
    .option('--require-approval', 'wait for `opareta-dr approve <id>` before the swap (production always does)')
    .option('--approval-timeout <duration>', 'how long to wait for approval, e.g. 30m (at most 24h)')
    .option('--jobs <n>', "connections each restore loads with (default: the server's CPUs, at most 8)", wholeNumber)
    .option('--no-standby', 'restore from the backups even where a verified warm standby of them exists')
    .option('--wait', 'wait for the result')
    .option('--json', 'machine-readable output')
    .action(
      action(async (o: Record<string, string | string[] | number | boolean | undefined> & StartOptions) => {
        const input = compact({
          timestamp: o.timestamp,
          services: o.services,
          mode: o.mode,
          requireApproval: o.requireApproval,
          approvalTimeout: o.approvalTimeout,
          jobs: o.jobs,
          useStandby: o.standby === false ? false : undefined,
        });
        const request = checkWorkflowInput(fullSystemRestore.name, fullSystemRestoreInputSchema, input);
        const services = (o.services as string[] | undefined) ?? [];
        await startAndMaybeWait(fullSystemRestore, `full-restore-${idStamp()}`, request, o, services);
      }),
    );

  program
    .command('drill')
    .description('restore the latest backups into scratch databases and check them against RTO and RPO (restoreDrill)')
    .option('--service <names...>', 'only these services (default: all)')
    .option('--backup <file>', 'drill this backup file instead of the latest')
    .option('--jobs <n>', "connections each scratch restore loads with (default: the server's CPUs)", wholeNumber)
    .option('--wait', 'wait for the report')
    .option('--json', 'machine-readable output')
    .action(
      action(async (o: { service?: string[]; backup?: string; jobs?: number } & StartOptions) => {
        const input = compact({ services: o.service, backup: o.backup, jobs: o.jobs });
        const request = checkWorkflowInput(restoreDrill.name, restoreDrillInputSchema, input);
        await startAndMaybeWait(restoreDrill, `drill-${idStamp()}`, request, o, o.service ?? []);
      }),
    );
}
