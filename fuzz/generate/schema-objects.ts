import { ident, literal, qualified } from './names';
import type { GenerationContext } from './context';
import { textValue } from './values';

/** Trusted extensions: a database owner may create them, so the product's confined role restores them too. */
const TRUSTED_EXTENSIONS = ['citext', 'hstore', 'pg_trgm', 'btree_gist', 'pgcrypto', 'ltree'];

export function addSchemas(ctx: GenerationContext): void {
  for (let i = ctx.random.int(0, 3); i > 0; i--) {
    const name = ctx.names.next('schema');
    ctx.add(`schema ${name}`, `CREATE SCHEMA ${ident(name)}`);
    ctx.schemas.push(name);
    if (ctx.random.chance(0.3)) ctx.add('schema comment', `COMMENT ON SCHEMA ${ident(name)} IS ${comment(ctx)}`);
    if (ctx.random.chance(0.3)) ctx.add('schema grant', `GRANT USAGE ON SCHEMA ${ident(name)} TO ${ident(ctx.role())}`);
  }
}

export function addExtensions(ctx: GenerationContext): void {
  for (const extension of ctx.random.some(TRUSTED_EXTENSIONS)) {
    ctx.add(`extension ${extension}`, `CREATE EXTENSION IF NOT EXISTS ${extension} WITH SCHEMA public`);
    ctx.extensions.add(extension);
  }
}

export function comment(ctx: GenerationContext): string {
  return literal(textValue(ctx.random, ctx.latin1));
}

/** Enums, composites, domains with checks, range types: each also becomes a column type. */
export function addUserTypes(ctx: GenerationContext): void {
  const r = ctx.random;
  if (r.chance(0.6)) {
    const name = qualified(ctx.schema(), ctx.names.next('enum'));
    const labels = ctx.latin1 ? ['a', 'b c', "quote's", 'Zähler'] : ['a', 'b c', "quote's", '😀', 'x\\y'];
    ctx.add('enum', `CREATE TYPE ${name} AS ENUM (${labels.map(literal).join(', ')})`);
    if (r.chance(0.5)) ctx.add('enum value', `ALTER TYPE ${name} ADD VALUE 'before a' BEFORE 'a'`);
    ctx.userTypes.push({ sql: name, value: ({ random }) => `${literal(random.pick(labels))}::${name}` });
  }
  if (r.chance(0.5)) {
    const name = qualified(ctx.schema(), ctx.names.next('composite'));
    ctx.add('composite', `CREATE TYPE ${name} AS (a integer, "b c" text, d numeric[])`);
    if (r.chance(0.4)) ctx.add('cast', `CREATE CAST (${name} AS point) WITH INOUT AS ASSIGNMENT`);
    ctx.userTypes.push({
      sql: name,
      value: ({ random, latin1 }) =>
        `ROW(${random.int(-9, 9)}, ${literal(textValue(random, latin1))}, '{1.5,NULL}')::${name}`,
    });
  }
  if (r.chance(0.6)) {
    const name = qualified(ctx.schema(), ctx.names.next('domain'));
    const check = ident(ctx.names.next('check'));
    ctx.add(
      'domain',
      `CREATE DOMAIN ${name} AS text COLLATE "C" DEFAULT 'd' CONSTRAINT ${check} CHECK (VALUE <> 'forbidden' AND length(VALUE) < 100000)`,
    );
    ctx.userTypes.push({ sql: name, value: ({ random, latin1 }) => `${literal(textValue(random, latin1))}::${name}` });
  }
  if (r.chance(0.4)) {
    const name = qualified(ctx.schema(), ctx.names.next('posint'));
    ctx.add('int domain', `CREATE DOMAIN ${name} AS integer NOT NULL CHECK (VALUE > 0)`);
    ctx.userTypes.push({
      sql: name,
      narrow: true,
      notNull: true,
      value: ({ random }) => `${random.int(1, 1000)}::${name}`,
    });
  }
  if (r.chance(0.3)) {
    const name = qualified(ctx.schema(), ctx.names.next('floatrange'));
    ctx.add('range type', `CREATE TYPE ${name} AS RANGE (subtype = float8)`);
    ctx.userTypes.push({ sql: name, value: () => `'[1.5,2.5)'::${name}` });
  }
}

/** Collations from libc's "C" only: the PyPI builds (the target 18 among them) have no ICU. */
export function addCollationsAndSearch(ctx: GenerationContext): void {
  const r = ctx.random;
  if (r.chance(0.4)) {
    ctx.add('collation', `CREATE COLLATION ${qualified(ctx.schema(), ctx.names.next('collation'))} FROM "C"`);
  }
  if (!ctx.latin1 && r.chance(0.2)) {
    const conversion = qualified(ctx.schema(), ctx.names.next('conversion'));
    ctx.add('conversion', `CREATE CONVERSION ${conversion} FOR 'LATIN1' TO 'UTF8' FROM iso8859_1_to_utf8`);
  }
  if (r.chance(0.4)) {
    const dictionary = qualified(ctx.schema(), ctx.names.next('dictionary'));
    const config = qualified(ctx.schema(), ctx.names.next('tsconfig'));
    ctx.add(
      'text search',
      `CREATE TEXT SEARCH DICTIONARY ${dictionary} (TEMPLATE = pg_catalog.simple, ACCEPT = false);
       CREATE TEXT SEARCH CONFIGURATION ${config} (COPY = pg_catalog.english);
       ALTER TEXT SEARCH CONFIGURATION ${config} ALTER MAPPING FOR asciiword WITH ${dictionary}, english_stem`,
    );
  }
}

export function addSequences(ctx: GenerationContext): void {
  for (let i = ctx.random.int(0, 2); i > 0; i--) {
    const name = qualified(ctx.schema(), ctx.names.next('sequence'));
    const options = ctx.random.pick([
      '',
      'AS smallint INCREMENT BY -2 MINVALUE -1000 MAXVALUE 10 START WITH 4 CYCLE',
      'INCREMENT BY 7 START WITH 100 CACHE 3',
    ]);
    ctx.add('sequence', `CREATE SEQUENCE ${name} ${options}`);
    if (ctx.random.chance(0.7)) ctx.add('sequence value', `SELECT nextval('${name.replace(/'/g, "''")}')`);
  }
}

/** Large objects, some empty, some with comments; the dump writes them with lo_create/lo_open/lowrite. */
export function addLargeObjects(ctx: GenerationContext): void {
  for (let i = ctx.random.int(0, 3); i > 0; i--) {
    const oid = ctx.random.int(100_000, 4_000_000_000);
    const data = Buffer.from(ctx.random.pick(['', 'large\\object\n\\.\n', '\u0000\u00ff binary']), 'latin1');
    ctx.add('large object', `SELECT lo_from_bytea(${oid}, '\\x${data.toString('hex')}')`);
    if (ctx.random.chance(0.5)) ctx.add('large object comment', `COMMENT ON LARGE OBJECT ${oid} IS ${comment(ctx)}`);
    if (ctx.random.chance(0.3))
      ctx.add('large object grant', `GRANT SELECT ON LARGE OBJECT ${oid} TO ${ident(ctx.role())}`);
  }
}
