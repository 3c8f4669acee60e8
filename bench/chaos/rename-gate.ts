import type { Client } from 'pg';
import type { ServiceConfig } from '../../shared/node/topology';
import { connect, withDatabase } from './db';

/**
 * Holds the second rename of a swap (restored side database -> live name) without touching the first, so a
 * fault lands between the two renames every time instead of in a window of milliseconds: a transaction in
 * the `postgres` database locks the side database's row of pg_database (FOR UPDATE), and ALTER DATABASE
 * RENAME waits for it. The workflow's terminateBackends(side) does not reach it: it is connected elsewhere.
 */
export class RenameGate {
  private client?: Client;

  constructor(private readonly config: ServiceConfig) {}

  /** Locks the row of the first `<db>_restore_*` database (the swap's side database); returns its name. */
  async close(): Promise<string | undefined> {
    const client = await connect(this.config, 'postgres');
    await client.query('BEGIN');
    const { rows } = await client.query<{ datname: string }>(
      "SELECT datname FROM pg_database WHERE starts_with(datname, $1 || '_restore_') ORDER BY datname LIMIT 1 FOR UPDATE",
      [this.config.database],
    );
    if (rows.length === 0) {
      await client.end().catch(() => undefined);
      return undefined;
    }
    this.client = client;
    return rows[0].datname;
  }

  /** Lets the held rename go on (or, when the server was killed, just forgets the dead connection). */
  async open(): Promise<void> {
    const client = this.client;
    this.client = undefined;
    await client?.query('ROLLBACK').catch(() => undefined);
    await client?.end().catch(() => undefined);
  }
}

/**
 * Whether the swap's transaction is inside, between its two renames: the first has run (uncommitted, so
 * invisible to other sessions) and the second waits for the gate's lock. The swap renames both names in one
 * transaction, so a fault here must leave either both renames or neither.
 */
export async function swapWaitsBetweenRenames(config: ServiceConfig, side: string): Promise<boolean> {
  return withDatabase(config, 'postgres', async (client) => {
    const { rows } = await client.query(
      `SELECT 1 FROM pg_stat_activity
        WHERE wait_event_type = 'Lock' AND query ILIKE 'ALTER DATABASE%' AND position($1 in query) > 0`,
      [side],
    );
    return rows.length > 0;
  });
}
