import type { Command } from 'commander';
import type { ApprovalState } from '../../shared/workflow-types';
import { approveUpdate, rejectUpdate } from '../../workflows/definitions';
import { action } from '../action';
import { parsePositiveSeconds } from '../arguments';
import { CliError, emit, ExitCode, type OutputOptions } from '../output';
import { readLiveProgress } from '../live-progress';
import { renderProgress } from '../progress-bar';
import { StatusScreen } from '../status-screen';
import { withClient, workflowUiUrl } from '../temporal';
import { printOutcome } from './outcome';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The two answers to a restore waiting for approval: CLI commands, each sending its Temporal update. */
const DECISIONS = [
  {
    usage: 'approve <workflow-id>',
    verb: 'approves',
    description: 'approve the swap of a verified restore that waits for approval',
    update: approveUpdate,
  },
  {
    usage: 'reject <workflow-id>',
    verb: 'rejects',
    description: 'reject the swap: the side database is dropped and production stays as it is',
    update: rejectUpdate,
  },
] as const;

export function registerControlCommands(program: Command): void {
  for (const decision of DECISIONS) {
    program
      .command(decision.usage)
      .description(decision.description)
      .option('--by <name>', `a note on who ${decision.verb}; the identity recorded is your Temporal client identity`)
      .option('--reason <text>', 'why, for the history')
      .option('--json', 'machine-readable output')
      .action(
        action(async (workflowId: string, o: { by?: string; reason?: string } & OutputOptions) => {
          await decide(workflowId, decision.update, o);
        }),
      );
  }

  program
    .command('status')
    .description('show the step and progress of a restore or drill')
    .argument('<workflow-id>')
    .option('--watch', 'refresh until the workflow ends, then print its result')
    .option('--interval <seconds>', 'refresh interval with --watch', '2')
    .option('--json', 'machine-readable output (one JSON line per refresh with --watch)')
    .action(
      action(async (workflowId: string, o: { watch?: boolean; interval: string } & OutputOptions) => {
        const intervalSeconds = parsePositiveSeconds('--interval', o.interval);
        await withClient(async (client) => {
          const handle = client.workflow.getHandle(workflowId);
          const screen = new StatusScreen(Boolean(o.watch && !o.json && process.stdout.isTTY));
          for (;;) {
            const description = await handle.describe();
            const running = description.status.name === 'RUNNING';
            const progress = running ? await readLiveProgress(client, handle) : undefined;
            if (o.json) {
              const snapshot = { workflowId, type: description.type, status: description.status.name, progress };
              process.stdout.write(JSON.stringify(snapshot) + '\n');
            } else {
              const header = `${workflowId} (${description.type}) ${description.status.name}  ${workflowUiUrl(workflowId)}`;
              screen.show([header, ...(progress ? [renderProgress(progress)] : [])].join('\n'));
            }
            if (!running) {
              if (description.status.name === 'COMPLETED') {
                printOutcome(o, description.type, workflowId, await handle.result());
              } else {
                process.stderr.write(`opareta-dr: ${workflowId} ended ${description.status.name}\n`);
                process.exitCode = ExitCode.failed;
              }
              return;
            }
            if (!o.watch) return;
            await sleep(intervalSeconds * 1000);
          }
        });
      }),
    );
}

/** Sends the approve or reject update and prints what it achieved; a refused request exits 1 with its reason. */
async function decide(
  workflowId: string,
  update: typeof approveUpdate | typeof rejectUpdate,
  o: { by?: string; reason?: string } & OutputOptions,
): Promise<void> {
  const note = { by: o.by, reason: o.reason };
  const state: ApprovalState = await withClient((client) =>
    client.workflow.getHandle(workflowId).executeUpdate(update, { args: [note] }),
  );
  if (state.status === 'refused') throw new CliError(`${workflowId}: refused: ${state.detail}`, ExitCode.failed);
  emit(o, { workflowId, ...state }, () => `${workflowId}: ${state.status}: ${state.detail}`);
}
