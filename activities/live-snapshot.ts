import { Context, log } from '@temporalio/activity';
import type { Client } from 'pg';
import type { DatabaseSnapshot, TableCount } from '../shared/activity-contract';
import type { ServiceConfig } from '../shared/node/topology';
import {
  blockSize,
  countRows,
  databaseExists,
  databaseSize,
  MAINTENANCE_DATABASE,
  relationSize,
  serverVersion,
  tableStatistics,
  type PostgresAccess,
  type TableStatistics,
} from './postgres';

/** A live table with its current size, when it could be read without waiting for a lock. */
export interface SizedTable extends TableStatistics {
  bytes?: number;
}

export interface SnapshotLimits {
  /**
   * How many bytes of tables the snapshot may read to count rows exactly: tables are counted smallest first
   * while their sizes add up to at most this; the others get the catalog's estimate, marked `estimated`.
   */
  exactCountBudgetBytes: number;
  /** One count that takes longer (a cold cache, a table locked by a migration) gives way to the estimate. */
  countTimeoutMs: number;
}

const HEARTBEAT_INTERVAL_MS = 5_000;
/** Never wait in the lock queue of production: behind a waiting ALTER TABLE, the apps would queue behind us. */
const LOCK_TIMEOUT_MS = 2_000;
/**
 * The count gave way, the estimate stands: 57014 statement timeout, 55P03 lock not available, 42501 a row-level
 * security policy that would apply to the worker's session (row_security is off in every product session: the
 * policy fails the count, it never runs).
 */
const GAVE_WAY = new Set(['57014', '55P03', '42501']);

/**
 * The live database's current state for the plan and the swap preview (the runbook's "Document current state"),
 * read without holding production up: exact counts within a budget, estimates beyond it, each count bounded,
 * a heartbeat every few seconds and after each table, and cancellation seen between tables.
 */
export async function snapshotLiveDatabase(
  postgres: PostgresAccess,
  config: ServiceConfig,
  database: string,
  limits: SnapshotLimits,
): Promise<DatabaseSnapshot> {
  const context = Context.current();
  const takenAt = new Date().toISOString();
  const found = await postgres.withClient(config, MAINTENANCE_DATABASE, async (client) =>
    (await databaseExists(client, database))
      ? { serverVersion: await serverVersion(client), sizeBytes: await databaseSize(client, database) }
      : undefined,
  );
  if (!found) return { database, exists: false, tables: [], takenAt };

  const progress = { database, tablesDone: 0, tablesTotal: 0 };
  const beat = () => context.heartbeat({ ...progress });
  const heartbeat = setInterval(beat, HEARTBEAT_INTERVAL_MS);
  try {
    const tables = await postgres.withClient(config, database, async (client) => {
      await client.query(`SET statement_timeout = ${Math.floor(limits.countTimeoutMs)}`);
      await client.query(`SET lock_timeout = ${LOCK_TIMEOUT_MS}`);
      const pageBytes = await blockSize(client);
      const tables: SizedTable[] = [];
      for (const table of await tableStatistics(client)) {
        tables.push({ ...table, bytes: await sizeUnlessLocked(client, table) });
      }
      progress.tablesTotal = tables.length;
      const exact = tablesToCount(tables, limits.exactCountBudgetBytes);
      const counts: TableCount[] = [];
      for (const table of tables) {
        if (context.cancellationSignal.aborted) await context.cancelled;
        counts.push(
          exact.has(table.name) ? await exactOrEstimate(client, table, pageBytes) : estimate(table, pageBytes),
        );
        progress.tablesDone++;
        beat();
      }
      return counts;
    });
    const estimated = tables.filter((t) => t.estimated).map((t) => t.table);
    if (estimated.length > 0) log.info('live row counts estimated for large tables', { database, tables: estimated });
    return { database, exists: true, ...found, tables, takenAt };
  } finally {
    clearInterval(heartbeat);
  }
}

/** The tables counted exactly: smallest first, while their sizes fit the budget; never one whose size is unknown. */
export function tablesToCount(tables: { name: string; bytes?: number }[], budgetBytes: number): Set<string> {
  const chosen = new Set<string>();
  let spent = 0;
  const sized = tables.filter((t) => t.bytes !== undefined) as { name: string; bytes: number }[];
  for (const table of sized.sort((a, b) => a.bytes - b.bytes)) {
    if (spent + table.bytes > budgetBytes) break;
    spent += table.bytes;
    chosen.add(table.name);
  }
  return chosen;
}

/** Even the size takes a table's lock: a table a migration holds is left to the catalog. */
async function sizeUnlessLocked(client: Client, table: TableStatistics): Promise<number | undefined> {
  try {
    return await relationSize(client, table.oid);
  } catch (err) {
    if (!GAVE_WAY.has((err as { code?: string }).code ?? '')) throw err;
    log.info('live table locked: its rows are estimated', { table: table.name });
    return undefined;
  }
}

async function exactOrEstimate(client: Client, table: SizedTable, pageBytes: number): Promise<TableCount> {
  try {
    return { table: table.name, rows: await countRows(client, table.schema, table.table) };
  } catch (err) {
    const code = (err as { code?: string }).code;
    if (!code || !GAVE_WAY.has(code)) throw err;
    log.info('exact count gave way to the estimate', { table: table.name, sqlState: code });
    return estimate(table, pageBytes);
  }
}

/**
 * The planner's estimate: rows per page at the last VACUUM/ANALYZE times the pages now (or as then, when the size
 * could not be read); the statistics' live rows when the table has no pages on record or was never analysed.
 */
export function estimate(table: SizedTable, pageBytes: number): TableCount {
  const { relpages, reltuples, bytes } = table;
  let rows: number;
  if (relpages > 0 && reltuples >= 0)
    rows = bytes === undefined ? reltuples : (reltuples / relpages) * (bytes / pageBytes);
  else rows = Math.max(reltuples, table.liveTuples);
  return { table: table.name, rows: Math.round(rows), estimated: true };
}
