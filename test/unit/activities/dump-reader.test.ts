import { describe, expect, it } from 'vitest';
import { DumpReader, DumpRefusal, type DumpSummary } from '../../../activities/dump-reader';
import { syntheticDump } from './dump-fixtures';

const COMPLETE = '--\n-- PostgreSQL database dump complete\n--\n';

/** Reads a dump in chunks of `size` bytes; returns what psql would read and the summary. */
function read(sql: string, size = 1 << 20, options: { enforce?: boolean } = {}) {
  const roles: string[] = [];
  const reader = new DumpReader({ file: 't.sql.gz', enforce: options.enforce, onRole: (r) => roles.push(r) });
  const input = Buffer.from(sql, 'utf8');
  const out: Buffer[] = [];
  for (let at = 0; at < input.length; at += size) out.push(reader.push(input.subarray(at, at + size)));
  const { tail, summary } = reader.finish();
  out.push(tail);
  return { output: Buffer.concat(out).toString('utf8'), summary, roles };
}

/** The same dump in every chunking from 1 byte up: chunk boundaries must never change the outcome. */
function readAllChunkings(sql: string): { output: string; summary: DumpSummary } {
  const whole = read(sql);
  for (const size of [1, 2, 3, 5, 7, 13]) {
    const chunked = read(sql, size);
    expect(chunked.output).toBe(whole.output);
    expect(chunked.summary).toEqual(whole.summary);
  }
  return whole;
}

function refusal(sql: string, size?: number): DumpRefusal {
  try {
    read(sql, size);
  } catch (err) {
    if (err instanceof DumpRefusal) return err;
    throw err;
  }
  throw new Error('the reader did not refuse');
}

function rows(summary: DumpSummary): Record<string, number> {
  return Object.fromEntries(summary.tables.map((t) => [t.table, t.rows]));
}

describe('DumpReader: manifest', () => {
  it('reads a pg_dump 15 dump: versions, rows, roles, complete; leaves out owners and restrict lines', () => {
    const { output, summary, roles } = read(syntheticDump({ usersRows: 4 }));
    expect(summary.pgDumpVersion).toBe('15.18 (Debian 15.18-0+deb12u1)');
    expect(summary.serverVersion).toBe('15.14 (Debian 15.14-1.pgdg120+1)');
    expect(rows(summary)).toEqual({ 'public.users': 4, 'public."Order Items"': 0, 'public.audit': 2 });
    expect(summary.complete).toBe(true);
    expect(summary.restrictLines).toBe(2);
    expect(roles).toEqual(['readonly', 'Report Writer']);
    expect(output).not.toMatch(/OWNER TO|\\restrict|\\unrestrict|DEFAULT PRIVILEGES/);
    expect(output).toContain('GRANT SELECT ON TABLE public.users TO readonly');
    // Left-out statements keep their newlines: psql's line numbers stay the file's.
    expect(output.split('\n').length).toBe(syntheticDump({ usersRows: 4 }).split('\n').length);
  });

  it('is the same in every chunking', () => {
    readAllChunkings(syntheticDump({ usersRows: 3 }));
  });

  it('counts multi-row INSERTs and resolves unqualified names through the search_path', () => {
    const sql = [
      'SET default_with_oids = false;',
      'SET search_path = billing, pg_catalog;',
      'CREATE TABLE accounts (id integer);',
      'CREATE TABLE empty_one (id integer);',
      "INSERT INTO accounts VALUES (1, 'a'), (2, 'b (x)'), (3, 'c');",
      'INSERT INTO accounts (id) VALUES (4) ON CONFLICT DO NOTHING;',
      'COPY ledger (id) FROM stdin;',
      '1',
      '2',
      '\\.',
      "SELECT pg_catalog.set_config('search_path', '\"Audit Log\", public', false);",
      'INSERT INTO "Zähler" VALUES (1);',
      'INSERT INTO public.x OVERRIDING SYSTEM VALUE VALUES (1), (2);',
      COMPLETE,
    ].join('\n');
    expect(rows(readAllChunkings(sql).summary)).toEqual({
      'billing.accounts': 4,
      'billing.empty_one': 0,
      'billing.ledger': 2,
      '"Audit Log"."Zähler"': 1,
      'public.x': 2,
    });
  });

  it('quotes names with `$` as quote_ident does (found by npm run fuzz:dumps)', () => {
    const sql = ['CREATE TABLE "s$1"."dollar$$23$tag$" (id integer);', 'INSERT INTO plain_x VALUES (1);', COMPLETE];
    expect(rows(readAllChunkings(sql.join('\n')).summary)).toEqual({
      '"s$1"."dollar$$23$tag$"': 0,
      'public.plain_x': 1,
    });
  });

  it("reads names in the dump's client_encoding: a LATIN1 database's dump names tables in LATIN1 (found by npm run fuzz:dumps)", () => {
    const latin1 = Buffer.concat([
      Buffer.from("SET client_encoding = 'LATIN1';\n", 'latin1'),
      Buffer.from('CREATE TABLE public."smörgåsbord 44" (id integer);\n', 'latin1'),
      Buffer.from('--\n-- Data for Name: Zähler; Type: TABLE DATA; Schema: public; Owner: fuzz\n--\n\n', 'latin1'),
      Buffer.from('-- load via partition root public.root\n', 'latin1'),
      Buffer.from('COPY public.root (id) FROM stdin;\n1\n2\n\\.\n', 'latin1'),
      Buffer.from(COMPLETE, 'latin1'),
    ]);
    for (const size of [1, 3, 1 << 20]) {
      const reader = new DumpReader({ file: 't.sql.gz' });
      for (let at = 0; at < latin1.length; at += size) reader.push(latin1.subarray(at, at + size));
      expect(rows(reader.finish().summary)).toEqual({ 'public."smörgåsbord 44"': 0, 'public."Zähler"': 2 });
    }
  });

  it('finds a partition named with a newline from the comment of a --load-via-partition-root block (found by npm run fuzz:dumps)', () => {
    // pg_dump prints names in its comments with CR and LF turned into spaces.
    const sql = [
      'CREATE TABLE public.root (k integer) PARTITION BY RANGE (k);',
      'CREATE TABLE "table"."new',
      'line 88" (k integer);',
      '--',
      '-- Data for Name: new line 88; Type: TABLE DATA; Schema: table; Owner: fuzz',
      '--',
      '',
      '-- load via partition root public.root',
      'COPY public.root (k) FROM stdin;',
      '1',
      '2',
      '\\.',
      COMPLETE,
    ].join('\n');
    expect(rows(readAllChunkings(sql).summary)).toEqual({ 'public.root': 0, '"table"."new\nline 88"': 2 });
  });

  it('is incomplete when cut inside a COPY block or without the closing line', () => {
    const cut = syntheticDump({ usersRows: 3 }).split('2\tuser2')[0];
    expect(read(cut + COMPLETE.replace(/\n/g, '\n')).summary.complete).toBe(false);
    expect(read(syntheticDump({ complete: false })).summary.complete).toBe(false);
  });
});

describe('DumpReader: psql lexing', () => {
  it('sees no meta-command inside strings, dollar quotes, comments and quoted identifiers', () => {
    const sql = [
      "SELECT 'a \\! id', E'b\\' \\! id', $$ \\! id; COPY t FROM stdin; $$, $x$ $y$ \\o |id $x$;",
      'SELECT "col \\! id", 1 /* nested /* \\! id */ still comment \\! */;',
      "CREATE FUNCTION f() RETURNS text LANGUAGE plpgsql AS $_$ BEGIN RETURN 'COPY t FROM stdin;'; END $_$;",
      COMPLETE,
    ].join('\n');
    const { summary } = readAllChunkings(sql);
    expect(summary.refusals).toEqual([]);
    expect(summary.complete).toBe(true);
    expect(summary.tables).toEqual([]);
  });

  it('counts the lines inside multi-line strings, identifiers, dollar quotes and comments', () => {
    const sql = [
      "INSERT INTO t VALUES ('one\ntwo\nthree', E'é\\\nx');",
      'CREATE TABLE "multi\nline" (id int);',
      '/* a\ncomment */ SELECT $f$\nbody\n$f$;',
      'SELECT 1;',
      '\\! id',
    ].join('\n');
    expect(sql.split('\n').length).toBe(12);
    for (const size of [1, 2, 5, 1 << 20]) expect(refusal(sql, size).finding.line).toBe(12);
    // The first tokens of a statement keep their text (here the table name read from a quoted identifier).
    expect(
      rows(read('CREATE TABLE "multi\nline" (id int);\nINSERT INTO "multi\nline" VALUES (1), (2);\n').summary),
    ).toEqual({ 'public."multi\nline"': 2 });
  });

  it('finds a meta-command after leading blanks, after SQL on the same line, and inside a statement', () => {
    for (const [sql, line] of [
      [' \\! id\n', 1],
      ['SELECT 1; \\! touch /tmp/x\n', 1],
      ['SELECT 1,\n\\o |id\n2;\n', 2],
      ['SELECT 1 -- comment\r\\! id\n', 1],
      ["SELECT 'x'\n\\! id\n", 2],
    ] as const) {
      const err = refusal(sql);
      expect(err.finding.line).toBe(line);
      expect(err.message).toMatch(/line \d+: a psql meta-command: \\(!|o)/);
      expect(refusal(sql, 1).finding).toEqual(err.finding);
    }
  });

  it('ends a dollar quote only at its own tag, and a $tag without closing $ is an identifier', () => {
    expect(refusal('SELECT $a$ $b$ $a$ \\! id\n').finding.command).toMatch(/^\\! id/);
    expect(refusal('SELECT $a$ $$ $a$; \\! id\n').finding.line).toBe(1);
    // $foo is `$` then identifier foo: the quote after it opens a string that hides nothing.
    expect(read("SELECT $foo '\\! id';\n").summary.refusals).toEqual([]);
  });

  it('follows standard_conforming_strings from the line after its SET', () => {
    // With it off, 'a\' ...' continues past the backslash-quote: the \! is inside the string.
    const off = "SET standard_conforming_strings = off;\nSELECT 'a\\' \\! id';\n" + COMPLETE;
    expect(read(off).summary.refusals).toEqual([]);
    // With it on (the default), the string ends at \' and the \! is a meta-command.
    expect(refusal("SELECT 'a\\' \\! id';\n").finding.command).toMatch(/^\\!/);
    expect(refusal("SELECT pg_catalog.set_config('standard_conforming_strings', 'off', false);\n").message).toMatch(
      /reaches outside/,
    );
  });

  it('continues an E string across a newline the way psql does', () => {
    // In psql the newline is never in the lexed line, so E'a' and the next line's string are separate.
    expect(refusal("SELECT E'a'\n'b\\' \\! id';\n").finding.line).toBe(2);
    // A carriage return inside the line is a newline to the lexer: the E string goes on, \' is escaped.
    expect(read("SELECT E'a'\r'b\\' \\! id';\n").summary.refusals).toEqual([]);
  });

  it('keeps semicolons inside BEGIN ATOMIC bodies in one statement', () => {
    const sql =
      'CREATE FUNCTION f() RETURNS int LANGUAGE sql BEGIN ATOMIC SELECT 1; SELECT 2; END;\nSELECT 3;\n' + COMPLETE;
    const { summary } = readAllChunkings(sql);
    expect(summary.statements).toBe(2);
  });

  it('takes ; inside parentheses as part of the statement', () => {
    expect(read('SELECT (1;2);\n').summary.statements).toBe(1);
  });
});

describe('DumpReader: refusals', () => {
  const cases: Array<[string, RegExp]> = [
    ["COPY public.users TO PROGRAM 'id';\n", /PROGRAM/],
    ["COPY public.users FROM PROGRAM 'id';\n", /PROGRAM/],
    ["COPY public.users FROM '/etc/passwd';\n", /COPY other than/],
    ['DROP DATABASE argus_db;\n', /DROP DATABASE/],
    ['CREATE ROLE evil SUPERUSER LOGIN;\n', /whole server/],
    ["ALTER ROLE argus PASSWORD 'x';\n", /whole server/],
    ["ALTER SYSTEM SET archive_command = 'id';\n", /whole server/],
    ['SET ROLE postgres;\n', /superuser/],
    ['SET SESSION AUTHORIZATION postgres;\n', /superuser/],
    ["SELECT lo_import('/etc/passwd');\n", /reaches outside/],
    ["SELECT pg_read_file('/etc/passwd');\n", /reaches outside/],
    [
      "CREATE FUNCTION f() RETURNS void LANGUAGE plpgsql AS $$ BEGIN PERFORM dblink_connect('host=x'); END $$;\n",
      /reaches outside/,
    ],
    ["CREATE SERVER s FOREIGN DATA WRAPPER postgres_fdw OPTIONS (host 'x');\n", /whole server/],
    ['GRANT pg_execute_server_program TO argus;\n', /role membership/],
    ["DO $$ BEGIN EXECUTE 'select 1'; END $$;\n", /never writes/],
    ['\\connect postgres\n', /another database/],
    ['\\set ON_ERROR_STOP 0\n', /meta-command/],
    ['SELECT :VERSION;\n', /psql variable/],
    ["SET client_encoding = 'SJIS';\n", /client_encoding/],
    ['SELECT 1\\; SELECT 2;\n', /backslash sequence/],
    ['CREATE TABLE t (id int);\nCREATE DATABASE pwned;\n', /after the dump's first objects/],
  ];
  it.each(cases)('refuses %j', (sql, reason) => {
    const err = refusal(sql);
    expect(err.message).toMatch(reason);
    expect(err.message).toMatch(/^backup t\.sql\.gz line \d: /);
  });

  it('holds a refused statement back: psql never reads a byte of it', () => {
    const reader = new DumpReader({ file: 'f' });
    expect(reader.push(Buffer.from('SELECT 1;\nDROP ROLE ')).toString()).toBe('SELECT 1;\n');
    expect(() => reader.push(Buffer.from('argus;\n'))).toThrow(DumpRefusal);
  });

  it('with enforcement off (test seam) records refusals and passes the bytes on', () => {
    const { output, summary } = read('DROP ROLE argus;\n\\! id\n', 4, { enforce: false });
    expect(output).toBe('DROP ROLE argus;\n\\! id\n');
    expect(summary.refusals.map((r) => r.line)).toEqual([1, 2]);
  });
});

describe('DumpReader: --create dumps', () => {
  it("leaves out the dump's own CREATE/ALTER DATABASE and \\connect, refuses another database's", () => {
    const sql = [
      'DROP DATABASE IF EXISTS shop_db;',
      "CREATE DATABASE shop_db WITH TEMPLATE = template0 ENCODING = 'UTF8';",
      'ALTER DATABASE shop_db OWNER TO shop;',
      '\\connect shop_db',
      "COMMENT ON DATABASE shop_db IS 'x';",
      'CREATE TABLE public.t (id int);',
      COMPLETE,
    ].join('\n');
    const { output, summary } = readAllChunkings(sql);
    expect(output).not.toMatch(/DATABASE|connect/);
    expect(output).toContain('CREATE TABLE public.t');
    expect(summary.refusals).toEqual([]);
    expect(refusal('CREATE DATABASE a;\n\\connect b\n').message).toMatch(/another database/);
    expect(refusal('CREATE DATABASE a;\nALTER DATABASE argus_db SET x = 1;\n').message).toMatch(/another database/);
    expect(refusal('CREATE TABLE t (id int);\nDROP DATABASE IF EXISTS argus_db;\n').message).toMatch(/DROP DATABASE/);
  });

  it('leaves out the \\encoding SQL_ASCII that pg_dump writes before its own \\connect, refuses it elsewhere (found by npm run fuzz:dumps)', () => {
    // pg_dump 15.14+, 16.10+, 17.6+, 18 with --create, for a database name with non-ASCII characters.
    const sql = [
      'CREATE DATABASE "fuzz c3 ""db"" ü" WITH TEMPLATE = template0 ENCODING = \'UTF8\';',
      '\\unrestrict key1',
      '\\encoding SQL_ASCII',
      '\\connect -reuse-previous=on "dbname=\'fuzz c3 ""db"" ü\'"',
      '\\restrict key1',
      "SET client_encoding = 'UTF8';",
      'CREATE TABLE public.t (id int);',
      COMPLETE,
    ].join('\n');
    const { output, summary } = readAllChunkings(sql);
    expect(summary.refusals).toEqual([]);
    expect(output).not.toMatch(/encoding SQL_ASCII|connect/);
    expect(refusal('\\encoding SQL_ASCII\nCREATE TABLE t (id int);\n').message).toMatch(/meta-command/);
    expect(refusal('CREATE DATABASE a;\n\\encoding SJIS\n\\connect a\n').message).toMatch(/meta-command/);
  });
});

describe('DumpReader: whole statements (issue 20) and what psql could read differently (issue 19)', () => {
  const columns = Array.from({ length: 1600 }, (_, i) => `"col ""${i}"" é"`);

  it('judges a COPY of 1600 columns, a GRANT of many columns and OWNER TO on all their tokens', () => {
    const sql = [
      `CREATE TABLE public.wide (${columns.map((c) => `${c} integer`).join(', ')});`,
      `ALTER TABLE public.wide OWNER TO app;`,
      `GRANT SELECT (${columns.slice(0, 40).join(', ')}) ON TABLE public.wide TO reporting, "Audit Team";`,
      `COPY public.wide (${columns.join(', ')}) FROM stdin;`,
      columns.map((_, i) => String(i)).join('\t'),
      '\\.',
      'ALTER TABLE public.wide RENAME COLUMN "col ""0"" é" TO owner;',
      'ALTER TABLE ONLY public.wide ALTER COLUMN owner SET DEFAULT 1;',
      COMPLETE,
    ].join('\n');
    const { output, summary, roles } = read(sql);
    expect(rows(summary)).toEqual({ 'public.wide': 1 });
    expect(roles).toEqual(['reporting', 'Audit Team']);
    expect(summary.leftOut).toEqual({
      'restored without owners (the product hands ownership to the service role)': 1,
    });
    // A column named owner is no OWNER TO: those statements reach psql.
    expect(output).toContain('RENAME COLUMN "col ""0"" é" TO owner;');
    expect(output).toContain('ALTER COLUMN owner SET DEFAULT 1;');
  });

  it('refuses every spelling of an unsafe client encoding the server accepts, and SET NAMES', () => {
    for (const statement of [
      "SET client_encoding = 'Shift-JIS';",
      "SET client_encoding TO 'MS_Kanji';",
      "SET client_encoding = 'windows-936';",
      'SET client_encoding = big5;',
      "SET NAMES 'sjis';",
    ]) {
      expect(refusal(`${statement}\nSELECT 1;\n${COMPLETE}`).message, statement).toMatch(/client_encoding/);
    }
    expect(read(`SET client_encoding = 'LATIN-1';\nSET NAMES 'utf8';\nSELECT 1;\n${COMPLETE}`).output).toContain(
      'SELECT 1;',
    );
  });

  it('refuses set_config with a computed name at the top level; pg_dump writes literal names only', () => {
    expect(
      refusal(`SELECT pg_catalog.set_config('standard_' || 'conforming_strings', 'off', false);\n${COMPLETE}`).message,
    ).toMatch(/set_config with a computed setting name/);
    expect(read(`SELECT pg_catalog.set_config('search_path', '', false);\n${COMPLETE}`).output).toContain('set_config');
  });

  it('refuses a NUL byte outside COPY data: psql would end the line there', () => {
    expect(refusal(`SELECT 'a\0b';\n${COMPLETE}`).message).toMatch(/NUL byte/);
  });
});

describe('DumpReader: FORCE ROW LEVEL SECURITY is held back to the end of the restore', () => {
  it('leaves it out of the stream and hands it over as a statement to run once the dump is in', () => {
    const sql = [
      'CREATE TABLE "s p"."t""x" (id integer);',
      'ALTER TABLE "s p"."t""x" ENABLE ROW LEVEL SECURITY;',
      'ALTER TABLE ONLY "s p"."t""x" FORCE ROW LEVEL SECURITY;',
      'ALTER TABLE public.u NO FORCE ROW LEVEL SECURITY;',
      COMPLETE,
    ].join('\n');
    const { output, summary } = read(sql);
    expect(summary.deferred).toEqual(['ALTER TABLE ONLY "s p"."t""x" FORCE ROW LEVEL SECURITY']);
    expect(output).not.toContain('ONLY "s p"."t""x" FORCE');
    expect(output).toContain('ENABLE ROW LEVEL SECURITY;');
    expect(output).toContain('NO FORCE ROW LEVEL SECURITY;');
  });
});
