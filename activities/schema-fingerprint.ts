import type { Client } from 'pg';

/**
 * One line per schema object of the user's schemas, md5 of them all sorted: tables (and views, sequences) by
 * name and kind, columns by position among the live ones (a dropped column leaves a gap in attnum: ADD then DROP
 * of a column gives the same fingerprint back), their types, NOT NULL and defaults, every index by its
 * definition, every constraint by its definition, every sequence by its parameters. Names and definitions only,
 * never OIDs or row data, so the same schema gives the same fingerprint in any copy of the database. Sorted with
 * the C collation: the order must not depend on the database's locale.
 */
const FINGERPRINT_SQL = `
WITH rels AS (
  SELECT c.oid, c.relkind::text AS relkind, pg_catalog.quote_ident(n.nspname) || '.' || pg_catalog.quote_ident(c.relname) AS name
    FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
   WHERE n.nspname NOT IN ('pg_catalog', 'information_schema')
     AND n.nspname NOT LIKE 'pg\\_toast%' AND n.nspname NOT LIKE 'pg\\_temp%'
), lines AS (
  SELECT 'relation ' || r.name || ' ' || r.relkind AS line
    FROM rels r WHERE r.relkind IN ('r', 'p', 'v', 'm', 'f', 'S')
  UNION ALL
  SELECT 'column ' || r.name || ' #' || pg_catalog.row_number() OVER (PARTITION BY a.attrelid ORDER BY a.attnum) || ' '
         || pg_catalog.quote_ident(a.attname) || ' ' || pg_catalog.format_type(a.atttypid, a.atttypmod)
         || CASE WHEN a.attnotnull THEN ' not null' ELSE '' END
         || coalesce(' default ' || pg_catalog.pg_get_expr(d.adbin, d.adrelid), '')
    FROM rels r
    JOIN pg_catalog.pg_attribute a ON a.attrelid = r.oid AND a.attnum > 0 AND NOT a.attisdropped
    LEFT JOIN pg_catalog.pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
   WHERE r.relkind IN ('r', 'p', 'v', 'm', 'f')
  UNION ALL
  SELECT 'index ' || pg_catalog.pg_get_indexdef(r.oid) FROM rels r WHERE r.relkind IN ('i', 'I')
  UNION ALL
  SELECT 'constraint ' || r.name || ' ' || pg_catalog.quote_ident(con.conname) || ' ' || pg_catalog.pg_get_constraintdef(con.oid)
    FROM pg_catalog.pg_constraint con JOIN rels r ON r.oid = con.conrelid
  UNION ALL
  SELECT 'sequence ' || r.name || ' ' || pg_catalog.format_type(s.seqtypid, NULL) || ' start ' || s.seqstart
         || ' increment ' || s.seqincrement || ' min ' || s.seqmin || ' max ' || s.seqmax
         || ' cache ' || s.seqcache || CASE WHEN s.seqcycle THEN ' cycle' ELSE '' END
    FROM pg_catalog.pg_sequence s JOIN rels r ON r.oid = s.seqrelid
)
SELECT pg_catalog.md5(coalesce(pg_catalog.string_agg(line, E'\\n' ORDER BY line COLLATE "C"), '')) AS fingerprint FROM lines`;

/** The schema fingerprint of the database `client` is connected to: one query over the catalog. */
export async function schemaFingerprint(client: Client): Promise<string> {
  const result = await client.query<{ fingerprint: string }>(FINGERPRINT_SQL);
  return result.rows[0].fingerprint;
}
