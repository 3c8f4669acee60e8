/**
 * What the dump reader remembers of one SQL statement while psql's lexer rules walk over it: every token of a
 * statement the policy judges (a COPY's 1600 columns, a GRANT's column list, an ALTER's OWNER TO at the end), so
 * no verdict is ever taken on a truncated view; only a streaming INSERT or SELECT keeps just its head and counts
 * its VALUES tuples. Memory is bounded: token texts are cut at MAX_TOKEN_TEXT bytes and a statement keeps at most
 * MAX_STATEMENT_TOKENS tokens (the policy refuses a statement cut there, naming the limit).
 */

export type TokenKind = 'word' | 'ident' | 'string' | 'punct' | 'number';

export interface Token {
  kind: TokenKind;
  /** Words upper-cased, quoted identifiers and strings as their value (cut at MAX_TOKEN_TEXT). */
  text: string;
  /** Parenthesis depth at the token (0 = top level of the statement). */
  depth: number;
}

/** What a streaming SELECT keeps: `SELECT pg_catalog.setval('name', n, true)` and the like fit. */
const STREAMING_HEAD_TOKENS = 24;
/** An INSERT's head up to VALUES: `INSERT INTO schema.table (c1, ..., c1600)` is about 3,200 tokens. */
const INSERT_HEAD_TOKENS = 8_192;
/**
 * About 80 MB of tokens at most (a token costs at least one byte of input, so a 16 MB statement of one-character
 * tokens would otherwise hold 16 M of them). No pg_dump statement short of that limit comes close: a CREATE
 * TABLE of 1600 columns is about 10,000 tokens.
 */
export const MAX_STATEMENT_TOKENS = 1_000_000;
export const MAX_TOKEN_TEXT = 256;
const ASCII_ONLY = /^[ -~]*$/;

export class Statement {
  /** Every token of the statement (a streaming INSERT or SELECT: its head only; see `full`). */
  readonly tokens: Token[] = [];
  /** Line (1-based, in the file) of the first token. */
  line = 0;
  /** Top-level VALUES tuples of an INSERT: one per `(` opened at depth 0 after the VALUES keyword. */
  valuesTuples = 0;
  private afterValues = false;
  private valuesEnded = false;

  get empty(): boolean {
    return this.tokens.length === 0;
  }

  /**
   * No more tokens are kept. A streaming INSERT past its VALUES keyword (its table is named by then) or a streaming
   * SELECT past its head needs only its VALUES tuples counted: most of an --inserts dump is read that way. Any
   * other statement is full only at MAX_STATEMENT_TOKENS, and then `truncated`.
   */
  full = false;
  /** A judged statement longer than MAX_STATEMENT_TOKENS: the policy refuses it rather than judge a part. */
  truncated = false;

  add(token: Token, line: number): void {
    if (this.tokens.length === 0) this.line = line;
    if (!this.full) {
      this.tokens.push(token);
      if (this.tokens.length >= this.keptTokens()) this.full = true;
    } else if (!this.streaming) this.truncated = true;
    this.countValues(token.kind, token.text, token.depth);
  }

  /** INSERT and SELECT stream on to psql before their end: the only statements judged by their head. */
  get streaming(): boolean {
    const command = this.tokens[0]?.text;
    return command === 'INSERT' || command === 'SELECT';
  }

  private keptTokens(): number {
    const command = this.tokens[0].text;
    if (command === 'SELECT') return STREAMING_HEAD_TOKENS;
    if (command === 'INSERT') return INSERT_HEAD_TOKENS;
    return MAX_STATEMENT_TOKENS;
  }

  /** For tokens past the first ones of an INSERT: counted without being kept (or even decoded). */
  countValues(kind: TokenKind, text: string, depth: number): void {
    if (depth !== 0 || this.valuesEnded || this.tokens[0]?.text !== 'INSERT') return;
    if (!this.afterValues) {
      if (kind === 'word' && text === 'VALUES') this.afterValues = this.full = true;
      return;
    }
    if (kind === 'punct' && text === '(') this.valuesTuples++;
    else if (kind === 'word') this.valuesEnded = true; // ON CONFLICT, RETURNING
  }

  /** The first words, upper-cased, as one string: `CREATE TABLE`, `ALTER DATABASE`. */
  words(count: number): string {
    return this.tokens
      .slice(0, count)
      .map((t) => (t.kind === 'word' ? t.text : '?'))
      .join(' ');
  }

  /** The statement as an SRE would recognise it in an error message. */
  describe(): string {
    const text = this.tokens
      .slice(0, 60)
      .map((t) => {
        if (t.kind === 'ident') return `"${t.text.replace(/"/g, '""')}"`;
        if (t.kind === 'string') return `'${t.text.slice(0, 40).replace(/'/g, "''")}'`;
        return t.text;
      })
      .join(' ')
      .replace(/ ([.,)]) ?/g, '$1')
      .replace(/\( /g, '(');
    return text.length > 120 ? `${text.slice(0, 117)}...` : text;
  }
}

/** `schema.name` or `name` starting at `index`: the raw (unquoted, folded) parts and the index after it. */
export function readQualifiedName(tokens: Token[], index: number): { parts: string[]; next: number } | undefined {
  const parts: string[] = [];
  let i = index;
  for (;;) {
    const token = tokens[i];
    if (!token || (token.kind !== 'word' && token.kind !== 'ident'))
      return parts.length ? { parts, next: i } : undefined;
    parts.push(identifierValue(token));
    i++;
    if (tokens[i]?.kind === 'punct' && tokens[i].text === '.') i++;
    else return { parts, next: i };
  }
}

/** PostgreSQL folds unquoted identifiers to lower case (ASCII letters only); quoted ones are taken as written. */
export function identifierValue(token: Token): string {
  if (token.kind !== 'word') return token.text;
  // toLowerCase would also fold non-ASCII letters, which PostgreSQL leaves alone in UTF8.
  return ASCII_ONLY.test(token.text) ? token.text.toLowerCase() : token.text.replace(/[A-Z]/g, (c) => c.toLowerCase());
}

export function isWord(token: Token | undefined, ...words: string[]): boolean {
  return token?.kind === 'word' && words.includes(token.text);
}
