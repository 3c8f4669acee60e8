/**
 * The valid-dumps corpus: a source database seeded from schema.sql, facts about it computed by SQL in the
 * source (rows per table, large objects, content digests), real pg_dump 15 dumps of it with many options,
 * and hand-written 9.x-style dumps (old-dumps.ts).
 *
 * Also runnable on its own, to look at the dumps:
 *   npx tsx test/integration/activities/valid-dumps/corpus.ts /tmp/valid-dumps
 * starts a throwaway source container, writes every dump gzipped into the directory, prints the facts and
 * removes the container.
 */
import { readFileSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { gzip } from 'node:zlib';
import { dumpToFile, ensureImage, query, removeContainers, startPostgres, type PostgresContainer } from '../helpers';
import { oldDump94Inserts, oldDump96, type OldDump } from './old-dumps';

export interface PgDumpVariant {
  /** The test's name. */
  name: string;
  args: string[];
  /** Dump the second source database (schema.sql + traps.sql) instead of shop_db. */
  traps?: boolean;
}

/** The second database of the source container: schema.sql, then traps.sql. */
export const TRAPS_DATABASE = 'shop_traps';

/** Every pg_dump option the corpus covers; each gives one full (schema and data) dump. */
export const PG_DUMP_VARIANTS: PgDumpVariant[] = [
  { name: 'default', args: [] },
  { name: '--inserts', args: ['--inserts'] },
  { name: '--column-inserts', args: ['--column-inserts'] },
  { name: '--rows-per-insert=7', args: ['--rows-per-insert=7'] },
  { name: '--no-owner', args: ['--no-owner'] },
  { name: '--no-privileges', args: ['--no-privileges'] },
  { name: '--create', args: ['--create'] },
  { name: '--clean --if-exists', args: ['--clean', '--if-exists'] },
  { name: '--quote-all-identifiers', args: ['--quote-all-identifiers'] },
  { name: '--disable-triggers', args: ['--disable-triggers'] },
  { name: '--no-comments', args: ['--no-comments'] },
  { name: '--load-via-partition-root', args: ['--load-via-partition-root'] },
  { name: '--inserts --on-conflict-do-nothing', args: ['--inserts', '--on-conflict-do-nothing'] },
  { name: 'default, with psql-lexer traps (traps.sql)', args: [], traps: true },
  { name: '--inserts, with psql-lexer traps (traps.sql)', args: ['--inserts'], traps: true },
];

export const OLD_DUMPS: (() => OldDump)[] = [oldDump96, oldDump94Inserts];

/** A conforming backup name for the service `shop`, distinct per index: shop_20240201_0100NN.sql.gz. */
export function backupName(index: number): string {
  return `shop_20240201_01${String(Math.floor(index / 60)).padStart(2, '0')}${String(index % 60).padStart(2, '0')}.sql.gz`;
}

export const SCHEMA_SQL = readFileSync(path.join(__dirname, 'schema.sql'), 'utf8');
export const TRAPS_SQL = readFileSync(path.join(__dirname, 'traps.sql'), 'utf8');

/** shop_db gets schema.sql; the second database TRAPS_DATABASE gets schema.sql and traps.sql. */
export async function seedSource(pg: PostgresContainer): Promise<void> {
  await query(pg, SCHEMA_SQL);
  await query(pg, `CREATE DATABASE ${TRAPS_DATABASE}`);
  await query(pg, SCHEMA_SQL + TRAPS_SQL, TRAPS_DATABASE);
}

/** The source container seen as the second database, for dumpToFile. */
export function trapsSource(pg: PostgresContainer): PostgresContainer {
  return { ...pg, database: TRAPS_DATABASE };
}

export interface DatabaseFacts {
  /** Rows per table (relkind r and p, counted with ONLY), keyed quote_ident(schema) || '.' || quote_ident(table). */
  counts: Record<string, number>;
  largeObjects: number;
  /** md5 of every table's rows as text (sorted), of every materialized view, of the large objects' data, of function bodies. */
  digests: Record<string, string>;
}

const TABLES_SQL = `
  SELECT quote_ident(n.nspname) || '.' || quote_ident(c.relname) AS name, c.relkind::text AS kind
    FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
   WHERE c.relkind IN ('r', 'p', 'm') AND n.nspname NOT IN ('pg_catalog', 'information_schema')
     AND n.nspname NOT LIKE 'pg\\_toast%' AND n.nspname NOT LIKE 'pg\\_temp%'
   ORDER BY 1`;

/** Counted by our own SQL, independently of the activities; used on the source and on each restored database. */
export async function databaseFacts(pg: PostgresContainer, database = pg.database): Promise<DatabaseFacts> {
  const relations = await query<{ name: string; kind: string }>(pg, TABLES_SQL, database);
  const counts: Record<string, number> = {};
  const digests: Record<string, string> = {};
  if (relations.length > 0) {
    const selects = relations.map(
      (r, i) =>
        `SELECT ${i} AS i, count(*)::int AS n, md5(coalesce(string_agg(t::text, E'\\n' ORDER BY t::text), '')) AS d ` +
        `FROM ONLY ${r.name} t`,
    );
    const rows = await query<{ i: number; n: number; d: string }>(pg, selects.join(' UNION ALL '), database);
    for (const row of rows) {
      const relation = relations[row.i];
      if (relation.kind === 'm') {
        digests[`materialized view ${relation.name}`] = `${row.n} rows ${row.d}`;
      } else {
        counts[relation.name] = row.n;
        digests[relation.name] = row.d;
      }
    }
  }
  const [lo] = await query<{ n: number; d: string }>(
    pg,
    `SELECT count(*)::int AS n, md5(coalesce(string_agg(md5(lo_get(oid)), ',' ORDER BY oid), '')) AS d
       FROM pg_largeobject_metadata`,
    database,
  );
  digests['large objects'] = lo.d;
  const [functions] = await query<{ d: string }>(
    pg,
    `SELECT md5(coalesce(string_agg(f, ',' ORDER BY f), '')) AS d
       FROM (SELECT p.oid::regprocedure::text || ' ' || md5(p.prosrc) AS f
               FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
              WHERE n.nspname NOT IN ('pg_catalog', 'information_schema')
                AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.objid = p.oid AND d.deptype = 'e')) fs`,
    database,
  );
  digests['function bodies'] = functions.d;
  return { counts, largeObjects: lo.n, digests };
}

export interface WrittenDump {
  name: string;
  file: string;
  /** Made from TRAPS_DATABASE. */
  traps?: boolean;
  /** For hand-written dumps: what the restored database must hold. */
  old?: OldDump;
}

/** pg_dump of the source with every variant, then the hand-written dumps, gzipped into `directory`. */
export async function writeCorpus(source: PostgresContainer, directory: string): Promise<WrittenDump[]> {
  const written: WrittenDump[] = [];
  for (const variant of PG_DUMP_VARIANTS) {
    const file = backupName(written.length);
    await dumpToFile(variant.traps ? trapsSource(source) : source, path.join(directory, file), variant.args);
    written.push({ name: variant.name, file, traps: variant.traps });
  }
  for (const make of OLD_DUMPS) {
    const old = make();
    const file = backupName(written.length);
    await writeFile(path.join(directory, file), await promisify(gzip)(Buffer.from(old.text, 'utf8')));
    written.push({ name: old.name, file, old });
  }
  return written;
}

async function main(directory: string): Promise<void> {
  await ensureImage();
  await mkdir(directory, { recursive: true });
  const source = await startPostgres('valid-dumps-gen');
  try {
    await seedSource(source);
    const facts = await databaseFacts(source);
    const trapsFacts = await databaseFacts(source, TRAPS_DATABASE);
    const written = await writeCorpus(source, directory);
    const dumps = written.map(({ name, file }) => ({ name, file }));
    console.log(JSON.stringify({ facts, trapsFacts, dumps }, null, 2));
  } finally {
    await removeContainers([source.name]);
  }
}

if (require.main === module) {
  const directory = process.argv[2];
  if (!directory) {
    console.error('usage: tsx test/integration/activities/valid-dumps/corpus.ts DIRECTORY');
    process.exit(2);
  }
  main(path.resolve(directory)).catch((err: unknown) => {
    console.error(err);
    process.exit(1);
  });
}
