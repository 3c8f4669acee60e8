import { createHash } from 'node:crypto';
import type { Client } from 'pg';
import { quoteIdentifier } from './postgres';

/**
 * The units a restore has committed, kept in the side database itself: each unit inserts its number in the same
 * transaction that loads it, so the ledger can never claim a unit whose rows are not there, or miss one whose
 * rows are (a heartbeat could do neither: a worker can die between a commit and its next heartbeat). A retry
 * reads it and skips what it names. Its schema's name hangs on the side database's, which a dump cannot guess;
 * the ledger is dropped before the side database is handed over.
 */
export interface LedgerIdentity {
  file: string;
  sizeBytes: number;
  /** The COPY cut size: unit numbers depend on it. */
  cutBytes: number;
}

export function ledgerSchema(targetDatabase: string): string {
  return `opareta_ledger_${createHash('sha256').update(targetDatabase).digest('hex').slice(0, 16)}`;
}

/** Run by the schema unit's connection once the dump's schema is in: the ledger and what it belongs to. */
export function createLedgerSql(schema: string, identity: LedgerIdentity): string {
  const s = quoteIdentifier(schema);
  return [
    `CREATE SCHEMA ${s};`,
    `CREATE TABLE ${s}.units (id integer PRIMARY KEY);`,
    `CREATE TABLE ${s}.meta (file text NOT NULL, size_bytes bigint NOT NULL, cut_bytes bigint NOT NULL, dirty boolean NOT NULL DEFAULT false);`,
    // The file name is confined to the backup directory's pattern; hex-encoded all the same, whatever the
    // dump set standard_conforming_strings to.
    `INSERT INTO ${s}.meta (file, size_bytes, cut_bytes) VALUES (convert_from(decode('${hex(identity.file)}', 'hex'), 'UTF8'), ${identity.sizeBytes}, ${identity.cutBytes});`,
    '',
  ].join('\n');
}

/**
 * Units commit without waiting for their WAL to reach disk (synchronous_commit off): a fsync per 8 MB chunk is
 * seconds over a large restore. Safe with the ledger: a unit and its ledger entry commit in one transaction, so
 * a server crash loses both or neither, and the retry redoes what was lost. The restore ends with a commit that
 * waits (the hand-over of ownership), which puts every earlier commit on disk before the restore says it is done.
 */
export const ASYNC_COMMIT_SQL = 'SET synchronous_commit = off;\n';

export function unitCommittedSql(schema: string, unit: number): string {
  return `INSERT INTO ${quoteIdentifier(schema)}.units VALUES (${unit});\n`;
}

/** Before a stretch of the dump that commits statement by statement: a retry can no longer resume after it. */
export function markNotResumableSql(schema: string): string {
  return `UPDATE ${quoteIdentifier(schema)}.meta SET dirty = true;\n`;
}

export type LedgerState = { resumable: true; committed: Set<number> } | { resumable: false; reason: string };

/** What a previous attempt left in the side database, read as its throwaway owner (withRestoredDatabase). */
export async function readLedger(client: Client, schema: string, identity: LedgerIdentity): Promise<LedgerState> {
  const s = quoteIdentifier(schema);
  // Two plain tables of the ledger's schema, both the restore role's own: not views a backup put in their place.
  const tables = await client.query<{ relname: string }>(
    `SELECT c.relname FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname = $1 AND c.relname IN ('meta', 'units') AND c.relkind = 'r'
        AND c.relowner = (SELECT oid FROM pg_catalog.pg_roles WHERE rolname = current_user)`,
    [schema],
  );
  if (tables.rows.length !== 2) return { resumable: false, reason: 'no ledger of plain tables of the restore role' };
  let meta;
  try {
    meta = await client.query<{ file: string; size_bytes: string; cut_bytes: string; dirty: boolean }>(
      `SELECT file, size_bytes, cut_bytes, dirty FROM ${s}.meta`,
    );
  } catch {
    return { resumable: false, reason: 'no ledger: the previous attempt did not finish the schema' };
  }
  const row = meta.rows[0];
  if (!row) return { resumable: false, reason: 'an empty ledger' };
  if (row.file !== identity.file || Number(row.size_bytes) !== identity.sizeBytes) {
    return { resumable: false, reason: `the ledger is for another file (${row.file})` };
  }
  if (Number(row.cut_bytes) !== identity.cutBytes) return { resumable: false, reason: 'another COPY cut size' };
  if (row.dirty) return { resumable: false, reason: 'the previous attempt ran statements that commit one by one' };
  const units = await client.query<{ id: number }>(`SELECT id FROM ${s}.units`);
  const committed = new Set(units.rows.map((r) => r.id));
  if (!committed.has(0)) return { resumable: false, reason: 'the schema is not committed' };
  return { resumable: true, committed };
}

export function dropLedgerSql(schema: string): string {
  return `DROP SCHEMA IF EXISTS ${quoteIdentifier(schema)} CASCADE;\n`;
}

function hex(text: string): string {
  return Buffer.from(text, 'utf8').toString('hex');
}
