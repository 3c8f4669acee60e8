import type { SwapNamesState } from '../../shared/activity-contract';
import type { ServicePlan } from './prepare';

/**
 * The commands that finish a swap-back (or its cleanup) by hand, from the state the server reported; when
 * the server did not answer, the commands to look first. For the notification and the result: printed for
 * a human to read and run, never executed by the product. Names are validated database names.
 */
export function manualRepairSteps(plan: ServicePlan, state: SwapNamesState | undefined): string[] {
  const { databaseContainer, user, appContainers, healthUrls } = plan.description;
  const { live, side, preRestore, failedRestore } = plan.databases;
  const psql = (sql: string) =>
    `docker exec -i ${databaseContainer} psql -U ${user} -d postgres -v ON_ERROR_STOP=1 -c ${shellQuoted(sql)}`;
  const steps: string[] = [];
  if (!state) {
    steps.push(
      `# the database server did not answer: once it does, see which names exist`,
      psql(`SELECT datname FROM pg_database WHERE datname LIKE '${live}%' ORDER BY 1`),
      `# if ${preRestore} exists, put it back under the live name (keeps the restored one as ${failedRestore}):`,
      psql(
        `BEGIN; ALTER DATABASE "${live}" RENAME TO "${failedRestore}"; ALTER DATABASE "${preRestore}" RENAME TO "${live}"; COMMIT;`,
      ),
    );
  } else if (state.preRestore && state.live) {
    steps.push(
      psql(
        `BEGIN; ALTER DATABASE "${live}" RENAME TO "${failedRestore}"; ALTER DATABASE "${preRestore}" RENAME TO "${live}"; COMMIT;`,
      ),
    );
  } else if (state.preRestore) {
    steps.push(psql(`ALTER DATABASE "${preRestore}" RENAME TO "${live}"`));
  }
  if (!state || state.side)
    steps.push(`# the unused restored copy, when you no longer need it:`, psql(`DROP DATABASE IF EXISTS "${side}"`));
  if (appContainers.length > 0) steps.push(`docker start ${appContainers.join(' ')}`);
  for (const url of healthUrls) steps.push(`curl -fsS ${url}`);
  return steps;
}

/** One line an SRE reads first: which name each database has now. */
export function describeSwapState(plan: ServicePlan, state: SwapNamesState | undefined): string {
  if (!state) return `${plan.service}: the database server did not answer, state unknown`;
  const { databases } = plan;
  const present = (Object.keys(state) as (keyof SwapNamesState)[]).filter((k) => state[k]).map((k) => databases[k]);
  return `${plan.service}: databases present: ${present.join(', ') || 'none of ours'}`;
}

/** One shell word, whatever the SQL holds: single quotes, each inner one written as '\'' (close, escaped, reopen). */
export function shellQuoted(text: string): string {
  return `'${text.replace(/'/g, "'\\''")}'`;
}
