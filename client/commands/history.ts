import { writeFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { fullSystemRestore, restoreDatabase, restoreDrill } from '../../workflows';
import { OparetaOutcome, OparetaService } from '../../workflows/definitions';
import { action } from '../action';
import { parsePositiveInteger } from '../arguments';
import { CliError, emit, ExitCode, table, type OutputOptions } from '../output';
import { collectDrillPoints } from '../report/collect';
import { reportTargets } from '../report/model';
import { renderHtml, renderMarkdown } from '../report/render';
import { parseSince } from '../since';
import { withClient, workflowUiUrl } from '../temporal';

/** The workflows an SRE looks back on; listings and locks are left out. */
const WORKFLOW_TYPES = [restoreDatabase, fullSystemRestore, restoreDrill].map((workflow) => workflow.name);

export function registerHistoryCommands(program: Command): void {
  program
    .command('history')
    .description('recent restores and drills, from Temporal visibility')
    .option('--since <when>', 'how far back: 7d, 12h or an ISO time', '7d')
    .option('--type <workflow-type>', `only this type: ${WORKFLOW_TYPES.join(', ')}`)
    .option('--limit <n>', 'at most this many', '50')
    .option('--json', 'machine-readable output')
    .action(
      action(async (o: { since: string; type?: string; limit: string } & OutputOptions) => {
        if (o.type && !WORKFLOW_TYPES.includes(o.type)) {
          throw new CliError(`--type must be one of ${WORKFLOW_TYPES.join(', ')}`, ExitCode.usage);
        }
        const limit = parsePositiveInteger('--limit', o.limit);
        const types = (o.type ? [o.type] : WORKFLOW_TYPES).map((t) => `'${t}'`).join(', ');
        const query = `WorkflowType IN (${types}) AND StartTime > '${parseSince(o.since).toISOString()}'`;
        const rows = await withClient(async (client) => {
          const found = [];
          for await (const w of client.workflow.list({ query, pageSize: 100 })) {
            const attributes = w.typedSearchAttributes;
            found.push({
              workflowId: w.workflowId,
              type: w.type,
              status: w.status.name,
              started: w.startTime.toISOString(),
              closed: w.closeTime?.toISOString(),
              service: stringAttribute(attributes, OparetaService.name),
              outcome: stringAttribute(attributes, OparetaOutcome.name),
              url: workflowUiUrl(w.workflowId, w.runId),
            });
            if (found.length >= limit) break;
          }
          return found;
        });
        emit(o, rows, () =>
          rows.length
            ? table(rows, ['started', 'type', 'workflowId', 'status', 'service', 'outcome'])
            : 'nothing in this period',
        );
      }),
    );

  program
    .command('report')
    .description('drill report: restore time against RTO and backup age against RPO, per service')
    .option('--since <when>', 'period: 30d, 12h or an ISO time', '30d')
    .option('--out <file>', 'write to this file instead of stdout')
    .option('--format <format>', 'html (self-contained page) or md (summary for chat)', 'html')
    .option('--json', 'the report data as JSON')
    .action(
      action(async (o: { since: string; out?: string; format: string } & OutputOptions) => {
        if (!['html', 'md'].includes(o.format)) throw new CliError('--format must be html or md', ExitCode.usage);
        const since = parseSince(o.since);
        const points = await withClient((client) => collectDrillPoints(client, since));
        const report = {
          generatedAt: new Date().toISOString(),
          since: since.toISOString(),
          ...reportTargets(points),
          points,
        };
        const text = o.json
          ? JSON.stringify(report, null, 2) + '\n'
          : o.format === 'md'
            ? renderMarkdown(report)
            : renderHtml(report);
        if (o.out) {
          await writeFile(o.out, text);
          process.stderr.write(`wrote ${o.out}: ${points.length} drill results since ${report.since}\n`);
        } else process.stdout.write(text);
      }),
    );
}

function stringAttribute(
  attributes: { getAll(): { key: { name: string }; value: unknown }[] },
  name: string,
): string | undefined {
  const pair = attributes.getAll().find((p) => p.key.name === name);
  if (!pair) return undefined;
  return Array.isArray(pair.value) ? pair.value.join(',') : String(pair.value);
}
