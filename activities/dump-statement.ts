/**
 * What the dump reader remembers of one SQL statement while psql's lexer rules walk over it: its first tokens,
 * its last tokens, and the VALUES tuples of an INSERT. Memory is bounded whatever the statement's length.
 */

export type TokenKind = 'word' | 'ident' | 'string' | 'punct' | 'number';

export interface Token {
  kind: TokenKind;
  /** Words upper-cased, quoted identifiers and strings as their value (cut at MAX_TOKEN_TEXT). */
  text: string;
  /** Parenthesis depth at the token (0 = top level of the statement). */
  depth: number;
}

const FIRST_TOKENS = 24;
const LAST_TOKENS = 12;
export const MAX_TOKEN_TEXT = 256;
const ASCII_ONLY = /^[ -~]*$/;

export class Statement {
  readonly first: Token[] = [];
  readonly last: Token[] = [];
  /** Line (1-based, in the file) of the first token. */
  line = 0;
  /** Top-level VALUES tuples of an INSERT: one per `(` opened at depth 0 after the VALUES keyword. */
  valuesTuples = 0;
  private afterValues = false;
  private valuesEnded = false;

  get empty(): boolean {
    return this.first.length === 0;
  }

  /**
   * The first tokens are kept; past them, or past an INSERT's VALUES keyword (its table is named by then), a
   * streaming INSERT or SELECT needs only its VALUES tuples counted: most of an --inserts dump is read that way.
   */
  full = false;

  add(token: Token, line: number): void {
    if (this.first.length === 0) this.line = line;
    if (this.first.length < FIRST_TOKENS) this.first.push(token);
    if (this.first.length >= FIRST_TOKENS) this.full = true;
    // Only ALTER ... OWNER TO and GRANT/REVOKE ... TO are read from the end.
    const command = this.first[0].text;
    if (command === 'ALTER' || command === 'GRANT' || command === 'REVOKE') {
      this.last.push(token);
      if (this.last.length > LAST_TOKENS) this.last.shift();
    }
    this.countValues(token.kind, token.text, token.depth);
  }

  /** For tokens past the first ones of an INSERT: counted without being kept (or even decoded). */
  countValues(kind: TokenKind, text: string, depth: number): void {
    if (depth !== 0 || this.valuesEnded || this.first[0]?.text !== 'INSERT') return;
    if (!this.afterValues) {
      if (kind === 'word' && text === 'VALUES') this.afterValues = this.full = true;
      return;
    }
    if (kind === 'punct' && text === '(') this.valuesTuples++;
    else if (kind === 'word') this.valuesEnded = true; // ON CONFLICT, RETURNING
  }

  /** The first words, upper-cased, as one string: `CREATE TABLE`, `ALTER DATABASE`. */
  words(count: number): string {
    return this.first
      .slice(0, count)
      .map((t) => (t.kind === 'word' ? t.text : '?'))
      .join(' ');
  }

  /** The statement as an SRE would recognise it in an error message. */
  describe(): string {
    const text = this.first
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
