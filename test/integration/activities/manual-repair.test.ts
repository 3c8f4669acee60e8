import { execFileSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SwapNamesState } from '../../../shared/activity-contract';
import { manualRepairSteps } from '../../../workflows/restore/manual-repair';
import type { ServicePlan } from '../../../workflows/restore/prepare';
import { ensureImage, query, removeContainers, startPostgres, type PostgresContainer } from './helpers';

/**
 * Issue 21 point 2: the manual repair steps an SRE gets at the worst moment are run, every branch, as printed
 * (bash -c, docker exec, psql in the database's container), against real PostgreSQL in the state each describes,
 * and leave the databases named as they promise.
 */

let pg: PostgresContainer;
const names = {
  live: 'shop_db',
  side: 'shop_db_restore_20261207000000_abcdef',
  preRestore: 'shop_db_pre_restore_20261207000000_abcdef',
  failedRestore: 'shop_db_failed_restore_20261207000000_abcdef',
};

beforeAll(async () => {
  await ensureImage();
  pg = await startPostgres('repair');
});

afterAll(async () => {
  await removeContainers([pg?.name].filter(Boolean));
});

function plan(): ServicePlan {
  return {
    service: 'shop',
    description: { databaseContainer: pg.name, user: pg.user, appContainers: [], healthUrls: [] },
    databases: names,
  } as unknown as ServicePlan;
}

/** The databases of the service, each with what it holds: which one is the original, which the restored. */
async function databases(): Promise<string[]> {
  const rows = await query<{ datname: string }>(
    pg,
    "SELECT datname FROM pg_database WHERE datname LIKE 'shop\\_db%' ORDER BY 1",
    'postgres',
  );
  return rows.map((r) => r.datname);
}

async function world(): Promise<Record<string, string>> {
  const found: Record<string, string> = {};
  for (const datname of await databases()) {
    const [row] = await query<{ v: string }>(pg, 'SELECT v FROM marker', datname);
    found[datname] = row.v;
  }
  return found;
}

async function setUp(wanted: Record<string, string>): Promise<void> {
  for (const name of await databases()) {
    await query(pg, `DROP DATABASE "${name}" WITH (FORCE)`, 'postgres');
  }
  for (const [name, content] of Object.entries(wanted)) {
    await query(pg, `CREATE DATABASE "${name}"`, 'postgres');
    await query(pg, `CREATE TABLE marker (v text); INSERT INTO marker VALUES ('${content}')`, name);
  }
}

/** Runs every command the steps print, as an SRE would paste it; comments and app steps aside (no apps here). */
function runSteps(steps: string[]): string {
  let output = '';
  for (const step of steps.filter((s) => s.startsWith('docker exec'))) {
    output += execFileSync('bash', ['-c', step], { encoding: 'utf8' });
  }
  return output;
}

describe('manual repair steps, run as printed', () => {
  it('state unknown: the look-up runs and names every database; the swap-back and the drop then repair it', async () => {
    await setUp({ [names.live]: 'restored', [names.preRestore]: 'original', [names.side]: 'unused' });
    const steps = manualRepairSteps(plan(), undefined);
    const output = runSteps(steps);
    expect(output).toContain(names.preRestore);
    expect(await world()).toEqual({ [names.live]: 'original', [names.failedRestore]: 'restored' });
  });

  it('live and pre-restore both there: the restored one is kept aside, the original goes back', async () => {
    await setUp({ [names.live]: 'restored', [names.preRestore]: 'original' });
    const state: SwapNamesState = { live: true, side: false, preRestore: true, failedRestore: false };
    runSteps(manualRepairSteps(plan(), state));
    expect(await world()).toEqual({ [names.live]: 'original', [names.failedRestore]: 'restored' });
  });

  it('only the pre-restore copy: it takes the live name back', async () => {
    await setUp({ [names.preRestore]: 'original' });
    const state: SwapNamesState = { live: false, side: false, preRestore: true, failedRestore: false };
    runSteps(manualRepairSteps(plan(), state));
    expect(await world()).toEqual({ [names.live]: 'original' });
  });

  it('an unused side database: dropped, the live one untouched', async () => {
    await setUp({ [names.live]: 'original', [names.side]: 'unused' });
    const state: SwapNamesState = { live: true, side: true, preRestore: false, failedRestore: false };
    runSteps(manualRepairSteps(plan(), state));
    expect(await world()).toEqual({ [names.live]: 'original' });
  });
});
