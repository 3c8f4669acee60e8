import type { Client } from 'pg';
import type { SwapDatabaseNames, SwapNamesState, TableCount } from '../shared/activity-contract';
import { ErrorType } from '../shared/errors';
import { failure } from './errors';
import { databaseExists, quoteIdentifier, tableCounts, terminateBackends } from './postgres';

/**
 * The swap and the swap-back as single transactions. ALTER DATABASE ... RENAME is transactional, so both
 * renames of a swap commit together or not at all: there is no moment, even if the server dies, when the
 * live name is missing or two databases are half-swapped. Each function reads which names exist first and
 * does only what is left, so a retry after a lost connection or a restarted container finishes the job.
 */

export async function readSwapState(client: Client, names: SwapDatabaseNames): Promise<SwapNamesState> {
  return {
    live: await databaseExists(client, names.live),
    side: await databaseExists(client, names.side),
    preRestore: await databaseExists(client, names.preRestore),
    failedRestore: await databaseExists(client, names.failedRestore),
  };
}

export type SwapInResult = 'swapped' | 'already-swapped';

/** `<db>` becomes `<db>_pre_restore_<stamp>` (when it exists) and the side database becomes `<db>`. */
export async function swapIn(client: Client, names: SwapDatabaseNames): Promise<SwapInResult> {
  const state = await readSwapState(client, names);
  if (!state.side && state.live) {
    // A previous attempt committed and lost its answer, if the database under the live name is the one restored
    // as the side database (its comment says so, a rename keeps it). Otherwise the side database was dropped or
    // renamed by hand: say so, and touch nothing, rather than report a swap that did not happen.
    const marker = await databaseComment(client, names.live);
    if (marker === restoredAsMarker(names.side)) return 'already-swapped';
    throw failure(
      ErrorType.SwapStateUnexpected,
      `cannot swap: the restored database ${names.side} no longer exists, and ${names.live} is not it` +
        ` (${marker === null ? 'no comment' : `its comment: ${JSON.stringify(marker.slice(0, 120))}`}); nothing was renamed`,
    );
  }
  if (!state.side) {
    throw failure(ErrorType.SwapStateUnexpected, `cannot swap: the restored database ${names.side} does not exist`);
  }
  if (state.preRestore) {
    throw failure(
      ErrorType.SwapStateUnexpected,
      `cannot swap: ${names.preRestore} already exists beside ${names.side}; nothing was renamed`,
    );
  }
  await renameTogether(client, [
    ...(state.live ? [[names.live, names.preRestore] as const] : []),
    [names.side, names.live] as const,
  ]);
  return 'swapped';
}

/** What a side database's comment says from its creation (restore-confinement.ts) or its use as a standby. */
export function restoredAsMarker(side: string): string {
  return `opareta-dr: restored as ${side}`;
}

async function databaseComment(client: Client, database: string): Promise<string | null> {
  const result = await client.query<{ comment: string | null }>(
    `SELECT pg_catalog.shobj_description(oid, 'pg_database') AS comment FROM pg_catalog.pg_database WHERE datname = $1`,
    [database],
  );
  return result.rows[0]?.comment ?? null;
}

export type SwapBackResult = 'swapped-back' | 'already-swapped-back' | 'nothing-to-undo';

/**
 * The pre-restore database takes `<db>` back; the restored one is kept as `<db>_failed_restore_<stamp>`,
 * never dropped: the apps may have written to it after the swap.
 */
export async function swapBack(client: Client, names: SwapDatabaseNames): Promise<SwapBackResult> {
  const state = await readSwapState(client, names);
  if (!state.preRestore) {
    // Either a previous attempt finished, or the swap never renamed the live database.
    return state.failedRestore ? 'already-swapped-back' : 'nothing-to-undo';
  }
  if (state.live && state.failedRestore) {
    throw failure(
      ErrorType.SwapStateUnexpected,
      `cannot swap back: ${names.live}, ${names.preRestore} and ${names.failedRestore} all exist; nothing was renamed`,
    );
  }
  await renameTogether(client, [
    ...(state.live ? [[names.live, names.failedRestore] as const] : []),
    [names.preRestore, names.live] as const,
  ]);
  return 'swapped-back';
}

/** Row changes in a database since it held `expected`, per table; only the tables that differ. */
export async function rowChangesSince(
  client: Client,
  expected: TableCount[],
): Promise<{ table: string; expectedRows: number; rows: number }[]> {
  // A table with FORCE ROW LEVEL SECURITY is counted with the policy lifted in a rolled-back transaction: the
  // policy, the backup's code, never runs in the worker's session.
  const now = await tableCounts(client, undefined, { liftForcedPolicies: true });
  const tables = [...new Set([...expected.map((t) => t.table), ...now.map((t) => t.table)])].sort();
  return tables
    .map((table) => ({
      table,
      expectedRows: expected.find((t) => t.table === table)?.rows ?? 0,
      rows: now.find((t) => t.table === table)?.rows ?? 0,
    }))
    .filter((t) => t.rows !== t.expectedRows);
}

async function renameTogether(client: Client, renames: (readonly [string, string])[]): Promise<void> {
  // Sessions on either database would block the rename (apps are stopped; stray psql sessions are not).
  for (const [from] of renames) await terminateBackends(client, from);
  await client.query('BEGIN');
  try {
    for (const [from, to] of renames) {
      await client.query(`ALTER DATABASE ${quoteIdentifier(from)} RENAME TO ${quoteIdentifier(to)}`);
    }
    await client.query('COMMIT');
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  }
}
