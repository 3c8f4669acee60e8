import type { Client } from 'pg';
import type { StandbyDatabase, StandbyRecord } from '../shared/activity-contract';
import { ErrorType } from '../shared/errors';
import { failure } from './errors';
import { restoredAsMarker } from './database-swap';
import { databaseExists, quoteIdentifier, terminateBackends } from './postgres';

/**
 * The warm standby in the database server. Where its record lives, and why: in the standby database's own
 * comment (COMMENT ON DATABASE, a JSON object), not in a table of the maintenance database. A comment belongs to
 * the database (pg_shdescription, by OID): a rename carries it along and DROP DATABASE removes it, so a record
 * never outlives or misnames its standby, and no table has to be created (or be writable) in `postgres`. It is
 * read from the maintenance database, which matters: the standby itself takes no connections while it waits.
 *
 * The lock: ALLOW_CONNECTIONS false (nobody, not even a superuser, can connect and change it) and CONNECT revoked
 * from PUBLIC; both undone when the standby is used. Renames, comment and lock commit together or not at all.
 */

/** Marks our JSON among comments an SRE may have written. */
const RECORD_MARK = 'opareta-dr standby';

export function standbyPrefix(live: string): string {
  return `${live}_standby_`;
}

export function isStandbyName(live: string, name: string): boolean {
  return name.startsWith(standbyPrefix(live)) && name.length > standbyPrefix(live).length;
}

export function recordComment(record: StandbyRecord): string {
  return JSON.stringify({ kind: RECORD_MARK, version: 1, ...record });
}

/** The record in a standby's comment; undefined for a missing, foreign or unreadable one. */
export function parseRecordComment(comment: string | null): StandbyRecord | undefined {
  if (!comment) return undefined;
  let parsed: Record<string, unknown>;
  try {
    parsed = JSON.parse(comment) as Record<string, unknown>;
  } catch {
    return undefined;
  }
  if (parsed?.kind !== RECORD_MARK || parsed.version !== 1) return undefined;
  const record = { ...parsed };
  delete record.kind;
  delete record.version;
  const complete =
    typeof record.backupFile === 'string' &&
    typeof record.database === 'string' &&
    typeof record.liveSchemaFingerprint === 'string' &&
    Array.isArray((record.manifest as { tables?: unknown } | undefined)?.tables);
  return complete ? (record as unknown as StandbyRecord) : undefined;
}

/** `<live>_standby_*` databases with their records and sizes, newest name (stamp) first. */
export async function listStandbys(client: Client, live: string): Promise<StandbyDatabase[]> {
  const result = await client.query<{ datname: string; size: string; comment: string | null; allowed: boolean }>(
    `SELECT datname, pg_database_size(oid) AS size, shobj_description(oid, 'pg_database') AS comment,
            datallowconn AS allowed
       FROM pg_database WHERE starts_with(datname, $1) AND length(datname) > length($1)
      ORDER BY datname DESC`,
    [standbyPrefix(live)],
  );
  return result.rows.map((row) => ({
    database: row.datname,
    sizeBytes: Number(row.size),
    record: parseRecordComment(row.comment),
    locked: !row.allowed,
  }));
}

async function inTransaction(client: Client, statements: string[]): Promise<void> {
  await client.query('BEGIN');
  try {
    for (const statement of statements) await client.query(statement);
    await client.query('COMMIT');
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  }
}

/** The scratch database becomes the standby: renamed, recorded and locked in one transaction. Idempotent. */
export async function keepStandby(client: Client, from: string, standby: string, record: StandbyRecord): Promise<void> {
  const [fromExists, standbyExists] = [await databaseExists(client, from), await databaseExists(client, standby)];
  if (!fromExists && standbyExists) return; // A previous attempt committed and lost its answer.
  if (!fromExists) {
    throw failure(ErrorType.SwapStateUnexpected, `cannot keep ${from} as a standby: it does not exist`);
  }
  if (standbyExists) {
    throw failure(ErrorType.SwapStateUnexpected, `cannot keep ${from} as ${standby}: ${standby} already exists`);
  }
  // The drill's verification has closed its sessions; a stray one would block the rename.
  await terminateBackends(client, from);
  const name = quoteIdentifier(standby);
  await inTransaction(client, [
    `ALTER DATABASE ${quoteIdentifier(from)} RENAME TO ${name}`,
    `COMMENT ON DATABASE ${name} IS ${client.escapeLiteral(recordComment(record))}`,
    `ALTER DATABASE ${name} WITH ALLOW_CONNECTIONS false`,
    `REVOKE CONNECT ON DATABASE ${name} FROM PUBLIC`,
  ]);
}

/**
 * The standby becomes the side database a swap expects, as a restore would leave it: connections allowed again
 * (PUBLIC's CONNECT as at creation), its record replaced by the side database's identity (database-swap.ts), so
 * the database that goes live carries no stale claim.
 * Its objects belong to the service's owner role and the database to the live one's owner since it was kept.
 */
export async function useStandby(client: Client, standby: string, target: string): Promise<'used' | 'already-used'> {
  const [standbyExists, targetExists] = [await databaseExists(client, standby), await databaseExists(client, target)];
  if (!standbyExists && targetExists) return 'already-used';
  if (!standbyExists) throw failure(ErrorType.StandbyGone, `the standby ${standby} no longer exists`);
  if (targetExists) {
    throw failure(ErrorType.SwapStateUnexpected, `cannot use ${standby}: ${target} already exists; nothing renamed`);
  }
  const name = quoteIdentifier(target);
  await inTransaction(client, [
    `ALTER DATABASE ${quoteIdentifier(standby)} RENAME TO ${name}`,
    `ALTER DATABASE ${name} WITH ALLOW_CONNECTIONS true`,
    `GRANT CONNECT ON DATABASE ${name} TO PUBLIC`,
    `COMMENT ON DATABASE ${name} IS ${client.escapeLiteral(restoredAsMarker(target))}`,
  ]);
  return 'used';
}
