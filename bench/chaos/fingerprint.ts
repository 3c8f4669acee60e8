import type { Client } from 'pg';
import type { ServiceConfig } from '../../shared/node/topology';
import { withDatabase } from './db';

/**
 * What a database holds, read from the server: per table, the row count and an order-independent checksum
 * (the sum of the first 60 bits of each row's md5, as numeric so it never overflows). Two databases with the
 * same fingerprint hold the same rows; a mix of two states matches neither.
 */
export type Fingerprint = Record<string, { rows: number; checksum: string }>;

const TABLES_SQL = `
  SELECT format('%I.%I', n.nspname, c.relname) AS name
  FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
  WHERE c.relkind = 'r' AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg_toast%'
  ORDER BY 1`;

async function fingerprintWith(client: Client): Promise<Fingerprint> {
  // Row text depends on these settings: pin them so the backup's fingerprint and the live one compare.
  await client.query("SET TIME ZONE 'UTC'; SET DateStyle = 'ISO, YMD'; SET extra_float_digits = 1");
  const { rows: tables } = await client.query<{ name: string }>(TABLES_SQL);
  const fingerprint: Fingerprint = {};
  // `name` comes quoted from format('%I.%I').
  for (const { name } of tables) {
    const { rows } = await client.query<{ rows: string; checksum: string }>(
      `SELECT count(*)::text AS rows,
              coalesce(sum(('x' || substr(md5(t::text), 1, 15))::bit(60)::bigint), 0)::text AS checksum
       FROM ${name} AS t`,
    );
    fingerprint[name] = { rows: Number(rows[0].rows), checksum: rows[0].checksum };
  }
  return fingerprint;
}

export function fingerprintDatabase(config: ServiceConfig, database: string): Promise<Fingerprint> {
  return withDatabase(config, database, fingerprintWith);
}

export function sameFingerprint(a: Fingerprint, b: Fingerprint): boolean {
  const tables = new Set([...Object.keys(a), ...Object.keys(b)]);
  for (const table of tables) {
    if (a[table]?.rows !== b[table]?.rows || a[table]?.checksum !== b[table]?.checksum) return false;
  }
  return true;
}

export function totalRows(f: Fingerprint): number {
  return Object.values(f).reduce((sum, t) => sum + t.rows, 0);
}

/** Rows of `expected` that `actual` lacks, table by table (a missing database lacks them all). */
export function missingRows(expected: Fingerprint, actual: Fingerprint | undefined): number {
  if (!actual) return totalRows(expected);
  return Object.entries(expected).reduce(
    (sum, [table, t]) => sum + Math.max(0, t.rows - (actual[table]?.rows ?? 0)),
    0,
  );
}
