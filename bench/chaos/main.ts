import { parseArgs } from 'node:util';
import { ensureChaosGeneration } from './backups';
import { lastLine, markdownTable, scenarioLine, summarize, type ScenarioSummary } from './report';
import { runScenario, type RunResult } from './runner';
import { SCENARIOS } from './scenarios';
import { ChaosStack } from './stack';

/**
 * `npm run chaos`: issue 9's chaos suite. Each scenario starts a restore on the suite's own stack (see
 * stack.ts), injects one fault at a moment read from the workflow (its progress query, its history, the
 * server's databases), and then checks the real server: the live database holds exactly the rows of before
 * or of the backup, the apps answer, no side database is left, the workflow closed with an outcome that
 * matches the data. Options: --runs N (5), --only a,b, --scale N (backup size; 60 makes a restore of argus
 * take 20 s or more here), --deadline SECONDS (per run, 480). Exits 1 when any run broke an invariant.
 */
const USAGE = 'usage: npm run chaos -- [--runs 5] [--only scenario[,scenario]] [--scale 60] [--deadline 480]';

function options() {
  const { values } = parseArgs({
    options: {
      runs: { type: 'string', default: '5' },
      only: { type: 'string', multiple: true },
      scale: { type: 'string', default: process.env.CHAOS_SCALE ?? '60' },
      deadline: { type: 'string', default: '480' },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    console.log(`${USAGE}\nscenarios: ${SCENARIOS.map((s) => s.name).join(', ')}`);
    process.exit(0);
  }
  const runs = Number(values.runs);
  const scale = Number(values.scale);
  const deadlineSeconds = Number(values.deadline);
  const only = (values.only ?? []).flatMap((v) => v.split(',')).filter(Boolean);
  const unknown = only.filter((name) => !SCENARIOS.some((s) => s.name === name));
  if (!(Number.isInteger(runs) && runs >= 1) || !(scale >= 1) || !(deadlineSeconds >= 60) || unknown.length > 0) {
    console.error(`${USAGE}${unknown.length ? `\nunknown scenario(s): ${unknown.join(', ')}` : ''}`);
    process.exit(2);
  }
  const scenarios = only.length > 0 ? SCENARIOS.filter((s) => only.includes(s.name)) : SCENARIOS;
  return { runs, scale, deadlineSeconds, scenarios };
}

const log = (line: string) => console.log(line);

async function main(): Promise<void> {
  const { runs, scale, deadlineSeconds, scenarios } = options();
  const stack = new ChaosStack(log);
  let stopping: Promise<void> | undefined;
  const stop = () => (stopping ??= stack.down());
  const interrupted = (signal: string) => {
    log(`chaos: ${signal}, removing the chaos stack`);
    void stop().finally(() => process.exit(130));
  };
  process.once('SIGINT', () => interrupted('interrupted'));
  process.once('SIGTERM', () => interrupted('terminated'));

  const summaries: ScenarioSummary[] = [];
  try {
    await stack.up();
    const generation = await ensureChaosGeneration(stack.topology, scale, log);
    for (const scenario of scenarios) {
      const results: RunResult[] = [];
      for (let run = 1; run <= runs; run += 1) {
        log(`chaos: ${scenario.name} run ${run}/${runs}`);
        const result = await runScenario(stack, scenario, run, { generation, deadlineSeconds, log });
        const verdict = result.passed ? 'ok' : `FAILED: ${result.problems.join('; ')}`;
        log(
          `chaos:   ${scenario.name} run ${run}: ${result.outcomes.join(', ')} in ` +
            `${result.workflowSeconds?.toFixed(1) ?? '-'} s (restore ${result.restoreSeconds?.toFixed(1) ?? '-'} s), ` +
            `live ${result.services.map((s) => `${s.service}=${s.matches}`).join(' ')}, ` +
            `kept ${result.services.flatMap((s) => s.kept).length}: ${verdict}`,
        );
        results.push(result);
      }
      const summary = summarize(scenario.name, results);
      summaries.push(summary);
      log(scenarioLine(summary));
    }
  } catch (err) {
    console.error(`chaos: worker output (last 3000 characters):\n${stack.worker?.output().slice(-3000) ?? ''}`);
    throw err;
  } finally {
    await stop();
  }
  console.log('');
  console.log(markdownTable(summaries));
  console.log('');
  for (const summary of summaries) console.log(scenarioLine(summary));
  const failed = summaries.some((s) => s.passed < s.runs);
  if (failed) process.exitCode = 1;
  console.log(lastLine(summaries));
}

main().catch((err: unknown) => {
  console.error(`chaos failed: ${(err as Error).stack ?? String(err)}`);
  process.exit(1);
});
