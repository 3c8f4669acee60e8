import type { TableCount } from '../shared/activity-contract';
import { grantees, ownerToAt } from './dump-policy';
import { identifierValue, isWord, readQualifiedName, type Statement, type Token } from './dump-statement';

const DUMPED_FROM = /^-- Dumped from database version (.+?)\s*$/;
const DUMPED_BY = /^-- Dumped by pg_dump version (.+?)\s*$/;
/** quote_ident leaves a name bare only when it is all lower-case letters, digits and `_` (a `$` is quoted). */
const SIMPLE_IDENTIFIER = /^[a-z_][a-z0-9_]*$/;
/** PostgreSQL 15's keywords that are not unreserved (`pg_get_keywords()`): quote_ident quotes them. */
const QUOTED_KEYWORDS = new Set(
  'all analyse analyze and any array as asc asymmetric authorization between bigint binary bit boolean both case cast char character check coalesce collate collation column concurrently constraint create cross current_catalog current_date current_role current_schema current_time current_timestamp current_user dec decimal default deferrable desc distinct do else end except exists extract false fetch float for foreign freeze from full grant greatest group grouping having ilike in initially inner inout int integer intersect interval into is isnull join lateral leading least left like limit localtime localtimestamp national natural nchar none normalize not notnull null nullif numeric offset on only or order out outer overlaps overlay placing position precision primary real references returning right row select session_user setof similar smallint some substring symmetric table tablesample then time timestamp to trailing treat trim true union unique user using values varchar variadic verbose when where window with xmlattributes xmlconcat xmlelement xmlexists xmlforest xmlnamespaces xmlparse xmlpi xmlroot xmlserialize xmltable'.split(
    ' ',
  ),
);
const DATA_FOR = /^-- Data for Name: (.+?); Type: TABLE DATA; Schema: (.+?); Owner:/;
const LOAD_VIA_ROOT = /^-- load via partition root /;

/** `schema.table` exactly as PostgreSQL's quote_ident writes each part, so manifests compare with the server's names. */
export function formatTableName(parts: string[]): string {
  return parts
    .map((p) => (SIMPLE_IDENTIFIER.test(p) && !QUOTED_KEYWORDS.has(p) ? p : `"${p.replace(/"/g, '""')}"`))
    .join('.');
}

/** Splits `"a""b".c` back into its raw parts. */
export function splitTableName(name: string): string[] {
  const parts: string[] = [];
  const pattern = /"((?:[^"]|"")*)"|([^."]+)/g;
  for (const match of name.matchAll(pattern))
    parts.push(match[1] !== undefined ? match[1].replace(/""/g, '"') : match[2]);
  return parts;
}

/**
 * The manifest a dump carries: rows per table (COPY lines, INSERT tuples), roles it names, versions. Unqualified
 * names (older pg_dump) resolve through the dump's own `search_path`, as the server would resolve them.
 */
export class DumpManifest {
  private readonly rows = new Map<string, number>();
  private readonly roleSet = new Set<string>();
  private readonly neededRoles = new Set<string>();
  private searchPath = ['public'];
  /** Formatted names by their parts: an --inserts dump names the same table millions of times. */
  private readonly names = new Map<string, string>();
  /** Schema and name from pg_dump's last "Data for Name" comment (as pg_dump prints them: unquoted). */
  private dataFor?: [string, string];
  private loadViaRoot = false;
  /**
   * Created tables by their names as pg_dump's comments print them (CR and LF turned into spaces, its
   * sanitize_line): a "Data for Name" comment names a partition `new line` that was created as `"new\nline"`.
   */
  private readonly createdByCommentName = new Map<string, string[]>();
  pgDumpVersion?: string;
  serverVersion?: string;
  onRole?: (role: string) => void;

  /**
   * pg_dump's comments before each data block name the table the rows belong to: with --load-via-partition-root
   * the COPY targets the root, but the rows are the partition's (and land there).
   */
  comment(text: string): void {
    this.serverVersion ??= DUMPED_FROM.exec(text)?.[1];
    this.pgDumpVersion ??= DUMPED_BY.exec(text)?.[1];
    const dataFor = DATA_FOR.exec(text);
    if (dataFor) {
      this.dataFor = [dataFor[2], dataFor[1]];
      this.loadViaRoot = false;
    } else if (LOAD_VIA_ROOT.test(text)) this.loadViaRoot = true;
  }

  /** Call for every statement psql will run (not for those left out). */
  statement(statement: Statement): void {
    const tokens = statement.tokens;
    const command = tokens[0]?.text;
    if (command === 'CREATE') this.createdTable(tokens);
    else if (command === 'INSERT' && isWord(tokens[1], 'INTO')) this.addRows(tokens, 2, statement.valuesTuples);
    else if (command === 'SET') this.setSearchPath(tokens);
    else if (command === 'SELECT') this.selectSetConfig(tokens);
    if (command === 'GRANT' || command === 'REVOKE') grantees(statement).forEach((role) => this.addRole(role));
  }

  /** Roles named by ownership statements that the restore leaves out: still listed, for the SRE. */
  ownerNamed(statement: Statement): void {
    const tokens = statement.tokens;
    const at = ownerToAt(tokens);
    if (at >= 0) this.addRole(identifierValue(tokens[at + 2]), false);
  }

  copyRows(table: string[], rows: number): void {
    const target =
      this.loadViaRoot && this.dataFor
        ? (this.createdByCommentName.get(commentNameKey(this.dataFor)) ?? this.dataFor)
        : table;
    const name = this.tableName(target);
    this.rows.set(name, (this.rows.get(name) ?? 0) + rows);
  }

  tables(): TableCount[] {
    return [...this.rows].map(([table, rows]) => ({ table, rows }));
  }

  roles(): string[] {
    return [...this.roleSet];
  }

  private createdTable(tokens: Token[]): void {
    let i = 1;
    while (isWord(tokens[i], 'UNLOGGED', 'TEMP', 'TEMPORARY', 'GLOBAL', 'LOCAL')) i++;
    if (!isWord(tokens[i], 'TABLE')) return;
    i++;
    if (isWord(tokens[i], 'IF') && isWord(tokens[i + 1], 'NOT')) i += 3;
    const name = readQualifiedName(tokens, i);
    if (!name) return;
    const qualified = this.tableName(name.parts);
    if (!this.rows.has(qualified)) this.rows.set(qualified, 0);
    const parts = name.parts.length >= 2 ? name.parts.slice(-2) : [this.searchPath[0] ?? 'public', ...name.parts];
    const key = commentNameKey(parts);
    if (!this.createdByCommentName.has(key) && this.createdByCommentName.size < 100_000) {
      this.createdByCommentName.set(key, parts);
    }
  }

  private addRows(tokens: Token[], index: number, tuples: number): void {
    const name = readQualifiedName(tokens, index);
    if (name) this.copyRows(name.parts, tuples);
  }

  private tableName(parts: string[]): string {
    const qualified = parts.length >= 2 ? parts.slice(-2) : [this.searchPath[0] ?? 'public', ...parts];
    const key = qualified.join('\u0000');
    let name = this.names.get(key);
    if (name === undefined) {
      name = formatTableName(qualified);
      if (this.names.size < 100_000) this.names.set(key, name);
    }
    return name;
  }

  private setSearchPath(tokens: Token[]): void {
    if (!tokens[1] || identifierValue(tokens[1]).toLowerCase() !== 'search_path') return;
    const values = tokens.slice(3).filter((t) => t.kind !== 'punct');
    this.useSearchPath(
      values.map((t) =>
        t.kind === 'ident' ? `"${t.text.replace(/"/g, '""')}"` : t.kind === 'word' ? identifierValue(t) : t.text,
      ),
    );
  }

  /** pg_dump 10+: `SELECT pg_catalog.set_config('search_path', '', false);` */
  private selectSetConfig(tokens: Token[]): void {
    const strings = tokens.filter((t) => t.kind === 'string');
    if (!tokens.some((t) => isWord(t, 'SET_CONFIG')) || strings[0]?.text !== 'search_path') return;
    this.useSearchPath(strings[1]?.text.split(',') ?? []);
  }

  private useSearchPath(entries: string[]): void {
    const schemas = entries
      .map((e) => e.trim())
      .map((e) => (e.startsWith('"') && e.endsWith('"') ? e.slice(1, -1).replace(/""/g, '"') : e.toLowerCase()))
      .filter((e) => e && e !== 'pg_catalog' && e !== '$user' && e !== 'default');
    this.searchPath = schemas.length ? schemas : ['public'];
  }

  /** Only roles psql will read a statement about need to exist: those are announced, once. */
  private addRole(role: string, needed = true): void {
    if (!role) return;
    this.roleSet.add(role);
    if (!needed || this.neededRoles.has(role)) return;
    this.neededRoles.add(role);
    this.onRole?.(role);
  }
}

/** Schema and name as pg_dump's comment lines print them: CR and LF become spaces. */
function commentNameKey(parts: string[]): string {
  return parts.map((p) => p.replace(/[\r\n]/g, ' ')).join('\u0000');
}
