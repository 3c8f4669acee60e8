import { Context, log } from '@temporalio/activity';
import type { Client } from 'pg';
import type { DatabaseSnapshot, TableCount } from '../shared/activity-contract';
import type { ServiceConfig } from '../shared/topology';
import {
  countRows,
  databaseExists,
  databaseSize,
  MAINTENANCE_DATABASE,
  serverVersion,
  tableStatistics,
  type PostgresAccess,
  type TableStatistics,
} from './postgres';

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
/** statement_timeout (57014) and lock_timeout (55P03): the count gave way, the estimate stands. */
const GAVE_WAY = new Set(['57014', '55P03']);

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
      const statistics = await tableStatistics(client);
      progress.tablesTotal = statistics.length;
      const exact = tablesToCount(statistics, limits.exactCountBudgetBytes);
      const counts: TableCount[] = [];
      for (const table of statistics) {
        if (context.cancellationSignal.aborted) await context.cancelled;
        counts.push(exact.has(table.name) ? await exactOrEstimate(client, table) : estimate(table));
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

/** The tables counted exactly: smallest first, while their sizes fit the budget. */
export function tablesToCount(tables: TableStatistics[], budgetBytes: number): Set<string> {
  const chosen = new Set<string>();
  let spent = 0;
  for (const table of [...tables].sort((a, b) => a.bytes - b.bytes)) {
    if (spent + table.bytes > budgetBytes) break;
    spent += table.bytes;
    chosen.add(table.name);
  }
  return chosen;
}

async function exactOrEstimate(client: Client, table: TableStatistics): Promise<TableCount> {
  try {
    return { table: table.name, rows: await countRows(client, table.schema, table.table) };
  } catch (err) {
    const code = (err as { code?: string }).code;
    if (!code || !GAVE_WAY.has(code)) throw err;
    log.info('exact count gave way to the estimate', { table: table.name, sqlState: code });
    return estimate(table);
  }
}

function estimate(table: TableStatistics): TableCount {
  return { table: table.name, rows: table.estimatedRows, estimated: true };
}
