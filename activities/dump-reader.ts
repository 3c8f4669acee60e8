import type { TableCount } from '../shared/activity-contract';
import { CopyBlock } from './dump-copy-block';
import { DumpManifest } from './dump-manifest';
import { countNewlines, HeldOutput } from './dump-output';
import { judgeStatement, type PolicyState, type Verdict } from './dump-policy';
import { judgeMetaCommand } from './dump-meta-commands';
import { identifierValue, MAX_TOKEN_TEXT, Statement, type TokenKind } from './dump-statement';

/**
 * A plain SQL dump read the way psql reads it, in one streaming pass with bounded memory. The states and
 * their transitions follow psql's lexer (src/fe_utils/psqlscan.l) case for case: strings with and without
 * standard_conforming_strings, E'' / B'' / X'' / N'' / U&'' strings and their continuation across newlines,
 * quoted identifiers, nested comments, dollar quotes with tags, psql variables, parenthesis and BEGIN ATOMIC
 * depth, and backslash commands wherever psql sees one. Like psql, it works line by line: a newline is never
 * part of a token, so `--` comments end there and a backslash at the end of a line escapes nothing.
 *
 * It yields the bytes to hand to psql (statements the product leaves out replaced by nothing, line numbers
 * kept), the manifest, and the refusals. A statement is held back until its end, so a refused one never
 * reaches psql; only INSERT and SELECT, which the policy never leaves out, stream through at once.
 */

const enum S {
  Initial,
  Dash,
  Slash,
  LineComment,
  Comment,
  CommentSlash,
  CommentStar,
  Ident,
  Prefix,
  PrefixU,
  PrefixUAmp,
  Number,
  NumberExp,
  NumberExpSign,
  Dollar,
  Param,
  Colon,
  ColonQuoted,
  ColonVar,
  Backslash,
  Meta,
  StdString,
  StdStringQuote,
  EscString,
  EscStringBackslash,
  EscStringQuote,
  BitString,
  QuoteStop,
  QuotedIdent,
  QuotedIdentQuote,
  DollarQuoted,
  DollarQuotedTag,
}

/** Sub-states of psql's {quotecontinue} look-ahead after a closing quote. */
const enum Q {
  Start,
  Blank,
  Dash,
  Comment,
  AfterNewline,
  AfterNewlineDash,
  AfterNewlineComment,
}

const NL = 0x0a;
const CR = 0x0d;
const QUOTE = 0x27;
const DQUOTE = 0x22;
const DOLLAR = 0x24;
const BACKSLASH = 0x5c;
const MAX_HELD_BYTES = 16 * 1024 * 1024;
const MAX_DEFERRED_STATEMENTS = 200_000;
const RECENT_STATEMENTS = 1024;
const MAX_DOLLAR_TAG = 64;
const MAX_META_LINE = 4096;
const DUMP_COMPLETE = /^-- PostgreSQL database dump complete\s*$/;
/** Server functions that read or write the server's files, signal other sessions, or open connections. */
const DANGEROUS_FUNCTIONS =
  /\b(lo_import|lo_export|pg_read_file|pg_read_binary_file|pg_ls_dir|pg_stat_file|pg_file_write|pg_file_rename|pg_file_unlink|pg_logdir_ls|pg_ls_logdir|pg_ls_waldir|pg_ls_tmpdir|pg_ls_archive_statusdir|dblink_connect_u|dblink_connect|dblink_exec|dblink_open|dblink_send_query|dblink|pg_terminate_backend|pg_cancel_backend|pg_reload_conf|pg_rotate_logfile|pg_promote)\s*\(/i;
const DANGEROUS_SETTINGS =
  /\bset_config\s*\(\s*'(role|session_authorization|standard_conforming_strings|client_encoding)'/i;
/** States in which a run of bytes can be skipped at once (see skipRun). */
const RUN_STATE = new Uint8Array(64);
for (const state of [S.Comment, S.Ident, S.StdString, S.EscString, S.QuotedIdent, S.DollarQuoted]) RUN_STATE[state] = 1;
/** Variables psql defines itself: `:NAME` would splice their value into the SQL, unseen by any reader. */
const PSQL_VARIABLES = new Set(
  'AUTOCOMMIT COMP_KEYWORD_CASE DBNAME ECHO ECHO_HIDDEN ENCODING ERROR FETCH_COUNT HIDE_TABLEAM HIDE_TOAST_COMPRESSION HISTCONTROL HISTFILE HISTSIZE HOST IGNOREEOF LASTOID LAST_ERROR_MESSAGE LAST_ERROR_SQLSTATE ON_ERROR_ROLLBACK ON_ERROR_STOP PORT PROMPT1 PROMPT2 PROMPT3 QUIET ROW_COUNT SERVER_VERSION_NAME SERVER_VERSION_NUM SHELL_ERROR SHELL_EXIT_CODE SHOW_ALL_RESULTS SHOW_CONTEXT SINGLELINE SINGLESTEP SQLSTATE USER VERBOSITY VERSION VERSION_NAME VERSION_NUM WATCH_INTERVAL SERVICE'.split(
    ' ',
  ),
);

export interface DumpFinding {
  line: number;
  command: string;
  reason: string;
}

export class DumpRefusal extends Error {
  constructor(
    readonly file: string,
    readonly finding: DumpFinding,
  ) {
    super(`backup ${file} line ${finding.line}: ${finding.reason}: ${finding.command}`);
  }
}

export interface DumpReaderOptions {
  file: string;
  /** Test seam: false records refusals but lets everything through, to show that confinement alone holds. */
  enforce?: boolean;
  /** Roles that are superusers on the target server: SET ROLE to one of them is refused. */
  superusers?: string[];
  /** Fires the first time a GRANT/REVOKE names a role, before psql can read that statement. */
  onRole?: (role: string) => void;
  /** Marks a `copy-cut` after the row that brings a COPY block's bytes since its last cut to this many. */
  copyCutBytes?: number;
}

/**
 * A boundary in the reader's output, for the parallel restore to route by: the end of a statement (with the
 * statement and the verdict on it), where a COPY block's rows begin, and where the block ends (after `\.`).
 */
export type SegmentMark = { line: number } & (
  | { kind: 'statement'; statement: Statement; action: Verdict['action']; copyTable?: string[] }
  | { kind: 'copy-data'; table: string[] }
  | { kind: 'copy-cut'; table: string[] }
  | { kind: 'copy-end'; table: string[]; rows: number }
);

/** One chunk's output and the boundaries in it. */
export interface MarkedOutput {
  output: Buffer;
  marks: { offset: number; mark: SegmentMark }[];
}

export interface DumpSummary {
  uncompressedBytes: number;
  pgDumpVersion?: string;
  serverVersion?: string;
  tables: TableCount[];
  roles: string[];
  complete: boolean;
  restrictLines: number;
  statements: number;
  /** Statements and psql commands left out of the stream, by reason. */
  leftOut: Record<string, number>;
  /** What the reader refused (with enforcement off, what it would have refused). */
  refusals: DumpFinding[];
  /** Statements left out of the stream to be run once the whole dump is in (FORCE ROW LEVEL SECURITY). */
  deferred: string[];
}

export class DumpReader {
  private state = S.Initial;
  private quoteStop = Q.Start;
  private stringState = S.StdString;
  private line = 1;
  private lineHasContent = false;
  private stdStrings = true;
  private stdStringsNextLine?: boolean;
  private parenDepth = 0;
  private beginDepth = 0;
  private identifierCount = 0;
  private identifiers = ['', '', '', ''];
  private commentDepth = 0;
  /** The text of the token being read (its first MAX_TOKEN_TEXT bytes), and whether it is all ASCII. */
  private readonly textBuffer = Buffer.alloc(MAX_TOKEN_TEXT);
  private textLength = 0;
  private textAscii = true;
  /**
   * How non-ASCII bytes of names, comments and meta-command lines become text: the dump's `client_encoding`
   * (a LATIN1 database's dump is in LATIN1), UTF-8 until it says otherwise. Names must come out as the server
   * will store them, or the manifest names tables the restored database does not have.
   */
  private decodeNonAscii: (bytes: Buffer) => string = utf8Text;
  private prefixLetter = 0;
  private dollarTag = '';
  private openingTag = '';
  private statement = new Statement();
  private released = false;
  private releaseRequested = false;
  private colonQuote = '';
  private metaAtLineStart = false;
  private inCopy = false;
  private copyAfterThisLine?: string[];
  private copyBlock?: CopyBlock;
  private copyTable: string[] = [];
  private metaLine = '';
  private commentText = '';
  private completeSeen = false;
  private inTransaction = false;
  private bytes = 0;
  private restrictLines = 0;
  private statements = 0;
  private scanCarry = '';
  private readonly leftOut: Record<string, number> = {};
  private readonly deferred: string[] = [];
  private chunkHasNul = false;
  /** The last statements read, to name the one psql reports an error at. */
  private readonly recent: Statement[] = new Array<Statement>(RECENT_STATEMENTS);
  private recentNext = 0;
  private readonly refusals: DumpFinding[] = [];
  private readonly manifest = new DumpManifest();
  private readonly policy: PolicyState;
  private readonly enforce: boolean;
  private readonly output = new HeldOutput<SegmentMark>();
  private copyDataPending = false;

  constructor(private readonly options: DumpReaderOptions) {
    this.enforce = options.enforce ?? true;
    this.policy = { superusers: new Set(options.superusers ?? []) };
    this.manifest.onRole = options.onRole;
  }

  /** Reads one chunk; returns what psql may read now. Throws DumpRefusal (enforcing) before psql sees a refused byte. */
  push(chunk: Buffer): Buffer {
    return this.pushMarked(chunk).output;
  }

  /** Like push, with the boundaries between statements and COPY rows in the output (parallel-restore.ts). */
  pushMarked(chunk: Buffer): MarkedOutput {
    this.output.begin(chunk);
    this.chunkHasNul = chunk.includes(0);
    let i = 0;
    while (i < chunk.length) {
      if (this.inCopy) {
        if (this.copyDataPending) {
          this.copyDataPending = false;
          this.output.mark(i, { kind: 'copy-data', table: this.copyTable, line: this.line });
        }
        i = this.readCopyData(chunk, i);
        continue;
      }
      const start = i;
      i = this.lex(chunk, i);
      this.scanForDangerousCalls(chunk, start, i);
    }
    if (this.output.pendingBytes() > MAX_HELD_BYTES) this.refuseLongStatement(chunk.length);
    this.bytes += chunk.length;
    return { output: this.output.end(), marks: this.output.marks };
  }

  /** After the last chunk: what psql reads at end of input (it runs a statement left without `;`), and the summary. */
  finish(): { tail: Buffer; summary: DumpSummary } {
    const { tail, summary } = this.finishMarked();
    return { tail: tail.output, summary };
  }

  finishMarked(): { tail: MarkedOutput; summary: DumpSummary } {
    this.output.begin(Buffer.alloc(0));
    this.endOfInput();
    return { tail: { output: this.output.end(), marks: this.output.marks }, summary: this.summary() };
  }

  /** The statement that starts at or last before a line of the file, if it is among the recent ones. */
  statementAt(line: number): string | undefined {
    for (let back = 1; back <= Math.min(this.recentNext, RECENT_STATEMENTS); back++) {
      const statement = this.recent[(this.recentNext - back) % RECENT_STATEMENTS];
      if (statement.line <= line) return statement.describe();
    }
    return undefined;
  }

  summary(): DumpSummary {
    return {
      uncompressedBytes: this.bytes,
      pgDumpVersion: this.manifest.pgDumpVersion,
      serverVersion: this.manifest.serverVersion,
      tables: this.manifest.tables(),
      roles: this.manifest.roles(),
      complete: this.completeSeen && !this.inCopy && this.state === S.Initial && this.statement.empty,
      restrictLines: this.restrictLines,
      statements: this.statements,
      leftOut: { ...this.leftOut },
      refusals: [...this.refusals],
      deferred: [...this.deferred],
    };
  }

  private startHold(at: number): void {
    this.output.hold(at);
  }

  private resolveHold(end: number, keep: boolean): void {
    this.output.resolve(end, keep);
  }

  private releaseHold(at: number): void {
    this.output.resolve(at, true);
  }

  /** Held statements are bounded: one past the limit cannot be judged whole, so it is refused. */
  private refuseLongStatement(end: number): void {
    const line = this.statement.line || this.line;
    this.refuse(line, this.statement.describe(), 'a statement longer than 16 MB cannot be checked');
    this.released = true;
    this.releaseHold(end);
  }

  private refuse(line: number, command: string, reason: string): void {
    const finding = { line, command: command.slice(0, 160), reason };
    this.refusals.push(finding);
    if (this.enforce) throw new DumpRefusal(this.options.file, finding);
  }

  // ---- the lexer ----

  /** Lexes from `i` until the chunk ends or a COPY block begins; returns where it stopped. */
  private lex(chunk: Buffer, start: number): number {
    let i = start;
    while (i < chunk.length) {
      if (this.inCopy) return i;
      if (RUN_STATE[this.state] === 1) {
        i = this.skipRun(chunk, i);
        if (i >= chunk.length) break;
      }
      const c = chunk[i];
      if (c === NL && this.state !== S.Meta && this.state !== S.QuoteStop && this.state !== S.Backslash) {
        this.newlineInState();
        i++;
        continue;
      }
      const consumed = this.step(c, i);
      if (this.releaseRequested) {
        // INSERT and SELECT are never left out: their bytes stream on instead of being held.
        this.releaseRequested = false;
        this.released = true;
        this.releaseHold(i);
      }
      if (consumed) i++;
    }
    return i;
  }

  /**
   * Inside a string, quoted identifier, dollar quote, comment or word, most bytes change nothing but the token's
   * text and the line count: skip to the next byte that can change the state (returned; the caller steps it).
   */
  private skipRun(chunk: Buffer, start: number): number {
    const state = this.state;
    let end: number;
    if (state === S.Ident) {
      end = start;
      while (end < chunk.length && isIdentCont(chunk[end])) end++;
    } else if (state === S.EscString) {
      end = start;
      while (end < chunk.length && chunk[end] !== QUOTE && chunk[end] !== BACKSLASH) end++;
    } else if (state === S.Comment) {
      end = start;
      while (end < chunk.length && chunk[end] !== 0x2a && chunk[end] !== 0x2f) end++;
    } else {
      const stop = state === S.StdString ? QUOTE : state === S.QuotedIdent ? DQUOTE : DOLLAR;
      end = chunk.indexOf(stop, start);
      if (end === -1) end = chunk.length;
    }
    if (state !== S.DollarQuoted && state !== S.Comment) this.addTextRun(chunk, start, end);
    if (state !== S.Ident) {
      for (let at = chunk.indexOf(NL, start); at !== -1 && at < end; at = chunk.indexOf(NL, at + 1)) this.countLine();
    }
    return end;
  }

  /** One byte in the current state; false when the byte must be read again in the new state. */
  private step(c: number, i: number): boolean {
    switch (this.state) {
      case S.Initial:
        return this.initial(c, i);
      case S.Dash:
        this.state = S.Initial;
        if (c === 0x2d) {
          this.state = S.LineComment;
          this.commentText = '--';
          return true;
        }
        this.token('punct', '-');
        return false;
      case S.Slash:
        this.state = S.Initial;
        if (c === 0x2a) {
          this.state = S.Comment;
          this.commentDepth = 0;
          return true;
        }
        this.token('punct', '/');
        return false;
      case S.LineComment:
        if (c === CR) {
          this.endLineComment();
          this.state = S.Initial;
        } else if (this.commentText.length < 200) this.commentText += String.fromCharCode(c);
        return true;
      case S.Comment:
        if (c === 0x2f) this.state = S.CommentSlash;
        else if (c === 0x2a) this.state = S.CommentStar;
        return true;
      case S.CommentSlash:
        if (c === 0x2a) {
          this.commentDepth++;
          this.state = S.Comment;
        } else if (c !== 0x2f) this.state = S.Comment;
        return true;
      case S.CommentStar:
        if (c === 0x2f) {
          if (this.commentDepth <= 0) this.state = S.Initial;
          else {
            this.commentDepth--;
            this.state = S.Comment;
          }
        } else if (c !== 0x2a) this.state = c === 0x2f ? S.CommentSlash : S.Comment;
        return true;
      case S.Ident:
        if (isIdentCont(c)) {
          this.addText(c);
          return true;
        }
        this.endWord();
        return false;
      case S.Prefix:
        return this.prefix(c);
      case S.PrefixU:
        if (c === 0x26 /* & */) {
          this.state = S.PrefixUAmp;
          return true;
        }
        this.state = S.Ident;
        return false;
      case S.PrefixUAmp:
        if (c === QUOTE) return this.beginString(S.StdString);
        if (c === DQUOTE) {
          this.state = S.QuotedIdent;
          this.clearText();
          return true;
        }
        this.endWord();
        this.token('punct', '&');
        return false;
      case S.Number:
        if (isDigit(c) || c === 0x2e) return true;
        if (c === 0x45 || c === 0x65) {
          this.state = S.NumberExp;
          return true;
        }
        return this.endNumber(c);
      case S.NumberExp:
        if (c === 0x2b || c === 0x2d) {
          this.state = S.NumberExpSign;
          return true;
        }
        if (isDigit(c)) {
          this.state = S.Number;
          return true;
        }
        return this.junkAfterNumber(c);
      case S.NumberExpSign:
        if (isDigit(c)) {
          this.state = S.Number;
          return true;
        }
        return this.junkAfterNumber(c);
      case S.Param:
        if (isDigit(c)) return true;
        return this.endNumber(c);
      case S.Dollar:
        return this.dollar(c);
      case S.Colon:
        return this.colon(c);
      case S.ColonVar:
      case S.ColonQuoted:
        return this.colonVariable(c);
      case S.Backslash:
        return this.backslash(c, i);
      case S.Meta:
        if (c === NL) {
          this.endMeta(i);
          return false;
        }
        if (this.metaLine.length < MAX_META_LINE) this.metaLine += String.fromCharCode(c);
        return true;
      case S.StdString:
        if (c === QUOTE) this.state = S.StdStringQuote;
        else this.addText(c);
        return true;
      case S.StdStringQuote:
        return this.doubledQuote(c, QUOTE, S.StdString) || this.closeString(S.StdString);
      case S.EscString:
        if (c === BACKSLASH) this.state = S.EscStringBackslash;
        else if (c === QUOTE) this.state = S.EscStringQuote;
        else this.addText(c);
        return true;
      case S.EscStringBackslash:
        this.addText(c);
        this.state = S.EscString;
        return true;
      case S.EscStringQuote:
        return this.doubledQuote(c, QUOTE, S.EscString) || this.closeString(S.EscString);
      case S.BitString:
        if (c === QUOTE) return this.closeString(S.BitString, true);
        this.addText(c);
        return true;
      case S.QuoteStop:
        return this.quoteContinuation(c);
      case S.QuotedIdent:
        if (c === DQUOTE) this.state = S.QuotedIdentQuote;
        else this.addText(c);
        return true;
      case S.QuotedIdentQuote:
        if (this.doubledQuote(c, DQUOTE, S.QuotedIdent)) return true;
        this.state = S.Initial;
        this.token('ident', this.textValue());
        return false;
      case S.DollarQuoted:
        if (c === DOLLAR) {
          this.state = S.DollarQuotedTag;
          this.dollarTag = '';
        }
        return true;
      case S.DollarQuotedTag:
        return this.dollarQuotedTag(c);
    }
  }

  /** A quote doubled inside a string or quoted identifier stands for one quote: keep it and stay inside. */
  private doubledQuote(c: number, quote: number, inside: S): boolean {
    if (c !== quote) return false;
    this.addText(c);
    this.state = inside;
    return true;
  }

  private initial(c: number, i: number): boolean {
    if (c === 0x20 || c === 0x09 || c === CR || c === 0x0c) return true;
    if (this.copyAfterThisLine) {
      this.refuse(this.line, this.output.restOfLine(i), 'text after COPY ... FROM stdin on the same line');
      this.copyAfterThisLine = undefined;
    }
    if (c === BACKSLASH) {
      // Held from the backslash on, whatever the statement: psql runs a meta-command at the end of its line.
      if (!this.output.holding && i >= 0) this.startHold(i);
      this.state = S.Backslash;
      return true;
    }
    if (!this.output.holding && i >= 0 && this.statement.empty) this.startHold(i);
    this.lineHasContent = true;
    switch (c) {
      case 0x2d:
        this.state = S.Dash;
        return true;
      case 0x2f:
        this.state = S.Slash;
        return true;
      case QUOTE:
        return this.beginString(this.stdStrings ? S.StdString : S.EscString);
      case DQUOTE:
        this.state = S.QuotedIdent;
        this.clearText();
        return true;
      case DOLLAR:
        this.state = S.Dollar;
        this.dollarTag = '';
        return true;
      case 0x3a:
        this.state = S.Colon;
        return true;
      case 0x28:
        this.token('punct', '(');
        this.parenDepth++;
        return true;
      case 0x29:
        if (this.parenDepth > 0) this.parenDepth--;
        this.token('punct', ')');
        return true;
      case 0x3b:
        if (this.parenDepth === 0 && this.beginDepth === 0) this.endStatement(i + 1);
        else this.token('punct', ';');
        return true;
    }
    if (isDigit(c)) {
      this.state = S.Number;
      return true;
    }
    if (isIdentStart(c)) {
      this.clearText();
      this.addText(c);
      this.prefixLetter = c;
      const lower = c | 0x20;
      if (lower === 0x65 || lower === 0x62 || lower === 0x78 || lower === 0x6e) this.state = S.Prefix;
      else this.state = lower === 0x75 ? S.PrefixU : S.Ident;
      return true;
    }
    this.token('punct', String.fromCharCode(c));
    return true;
  }

  /** E'', B'', X'', N'': a letter that starts a token and is followed by a quote. */
  private prefix(c: number): boolean {
    if (c !== QUOTE) {
      this.state = S.Ident;
      return false;
    }
    const lower = this.prefixLetter | 0x20;
    if (lower === 0x65) return this.beginString(S.EscString);
    if (lower === 0x6e) return this.beginString(this.stdStrings ? S.StdString : S.EscString);
    return this.beginString(S.BitString);
  }

  private beginString(kind: S): boolean {
    this.stringState = kind;
    this.state = kind;
    this.clearText();
    return true;
  }

  private addText(c: number): void {
    if (this.textLength >= MAX_TOKEN_TEXT || !this.needTokens()) return;
    this.textBuffer[this.textLength++] = c;
    if (c >= 0x80) this.textAscii = false;
  }

  private addTextRun(chunk: Buffer, start: number, end: number): void {
    if (this.textLength >= MAX_TOKEN_TEXT || !this.needTokens()) return;
    const stop = Math.min(end, start + MAX_TOKEN_TEXT - this.textLength);
    const text = this.textBuffer;
    let length = this.textLength;
    for (let at = start; at < stop; at++) {
      const c = chunk[at];
      if (c >= 0x80) this.textAscii = false;
      text[length++] = c; // tokens are short: a loop beats Buffer.copy's call overhead
    }
    this.textLength = length;
  }

  private clearText(): void {
    this.textLength = 0;
    this.textAscii = true;
  }

  private textValue(): string {
    if (!this.needTokens()) return '';
    // ASCII (nearly every token) without a Buffer view: one per token was a tenth of an --inserts dump's time.
    if (this.textAscii) return this.textBuffer.toString('latin1', 0, this.textLength);
    return this.decodeNonAscii(this.textBuffer.subarray(0, this.textLength));
  }

  /** A streaming INSERT past its first tokens needs no token text: that is most of an --inserts dump. */
  private needTokens(): boolean {
    return !this.released || !this.statement.full;
  }

  /** After a closing quote psql looks ahead for whitespace with a newline and another quote: the same string goes on. */
  private closeString(kind: S, consumeQuote = false): boolean {
    this.stringState = kind;
    this.state = S.QuoteStop;
    this.quoteStop = Q.Start;
    return consumeQuote;
  }

  private quoteContinuation(c: number): boolean {
    const q = this.quoteStop;
    if (c === NL) {
      // A line ends: psql keeps the look-ahead state only when nothing followed the quote on this line.
      if (q !== Q.Start) this.endString();
      this.newlineInState();
      return true;
    }
    const space = c === 0x20 || c === 0x09 || c === 0x0c;
    switch (q) {
      case Q.Start:
      case Q.Blank:
        if (space) this.quoteStop = Q.Blank;
        else if (c === 0x2d) this.quoteStop = Q.Dash;
        else if (c === CR) this.quoteStop = Q.AfterNewline;
        else return this.failContinuation(false);
        return true;
      case Q.Dash:
      case Q.AfterNewlineDash:
        if (c === 0x2d) {
          this.quoteStop = q === Q.Dash ? Q.Comment : Q.AfterNewlineComment;
          return true;
        }
        return this.failContinuation(true);
      case Q.Comment:
      case Q.AfterNewlineComment:
        if (c === CR) this.quoteStop = Q.AfterNewline;
        return true;
      case Q.AfterNewline:
        if (space || c === CR) return true;
        if (c === 0x2d) {
          this.quoteStop = Q.AfterNewlineDash;
          return true;
        }
        if (c === QUOTE) {
          this.state = this.stringState;
          return true;
        }
        return this.failContinuation(false);
    }
  }

  /** No continuation: the string ends; what was looked at is read again as ordinary input. */
  private failContinuation(pendingDash: boolean): boolean {
    this.endString();
    if (pendingDash) this.token('punct', '-');
    return false;
  }

  private endString(): void {
    this.state = S.Initial;
    this.token('string', this.textValue());
  }

  private dollar(c: number): boolean {
    const tag = this.dollarTag;
    if (c === DOLLAR) {
      this.openingTag = tag;
      this.state = S.DollarQuoted;
      return true;
    }
    if (tag === '' && isDigit(c)) {
      this.state = S.Param;
      return true;
    }
    if (tag === '' ? isIdentStart(c) : isIdentStart(c) || isDigit(c)) {
      if (tag.length >= MAX_DOLLAR_TAG) {
        this.refuse(this.line, `$${tag}`, `a dollar-quote tag longer than ${MAX_DOLLAR_TAG} bytes`);
      }
      this.dollarTag += String.fromCharCode(c);
      return true;
    }
    // psql's {dolqfailed}: only the `$` is taken; the tag's letters are read again as an identifier.
    this.state = S.Initial;
    this.token('punct', '$');
    for (const byte of Buffer.from(tag, 'latin1')) this.step(byte, -1);
    return false;
  }

  private dollarQuotedTag(c: number): boolean {
    if (c === DOLLAR) {
      if (this.dollarTag === this.openingTag) {
        this.state = S.Initial;
        this.token('string', '$');
      } else this.dollarTag = ''; // psql puts the `$` back: it may open the real closing tag
      return true;
    }
    const valid = this.dollarTag === '' ? isIdentStart(c) : isIdentStart(c) || isDigit(c);
    if (valid && this.dollarTag.length < MAX_DOLLAR_TAG + 1) {
      this.dollarTag += String.fromCharCode(c);
      return true;
    }
    this.state = S.DollarQuoted;
    return false;
  }

  private colon(c: number): boolean {
    if (c === 0x3a || c === 0x3d) {
      this.state = S.Initial;
      this.token('punct', c === 0x3a ? '::' : ':=');
      return true;
    }
    if (c === QUOTE || c === DQUOTE) {
      this.state = S.ColonQuoted;
      this.colonQuote = String.fromCharCode(c);
      this.metaLine = '';
      return true;
    }
    if (c === 0x7b /* { */) {
      this.refuse(this.line, ':{?...}', 'a psql variable test, never in a dump');
      this.state = S.Initial;
      return true;
    }
    if (isVariableChar(c)) {
      this.state = S.ColonVar;
      this.metaLine = String.fromCharCode(c);
      return true;
    }
    this.state = S.Initial;
    this.token('punct', ':');
    return false;
  }

  /** `:name`, `:'name'`, `:"name"`: psql splices a defined variable's value in; an undefined one stays as typed. */
  private colonVariable(c: number): boolean {
    if (isVariableChar(c)) {
      if (this.metaLine.length < MAX_TOKEN_TEXT) this.metaLine += String.fromCharCode(c);
      return true;
    }
    const quoted = this.state === S.ColonQuoted;
    this.state = S.Initial;
    if (quoted && !(c === this.colonQuote.charCodeAt(0) && this.metaLine.length > 0)) {
      // psql's fallback rule: only the colon is taken; the quote then opens a string or identifier.
      this.token('punct', ':');
      for (const byte of Buffer.from(this.colonQuote + this.metaLine, 'latin1')) this.step(byte, -1);
      return false;
    }
    const name = this.decodeNonAscii(Buffer.from(this.metaLine, 'latin1'));
    if (PSQL_VARIABLES.has(name)) {
      this.refuse(this.line, `:${name}`, 'a psql variable, which psql would replace by its value');
    }
    this.token('word', `:${name}`);
    return quoted; // the closing quote belongs to the variable reference
  }

  private backslash(c: number, i: number): boolean {
    if (c === 0x3b || c === 0x3a) {
      this.state = S.Initial;
      this.refuse(this.line, `\\${String.fromCharCode(c)}`, 'a psql backslash sequence, never in a dump');
      return true;
    }
    void i;
    this.metaAtLineStart = !this.lineHasContent && this.statement.empty;
    this.lineHasContent = true;
    this.state = S.Meta;
    this.metaLine = '\\';
    return false;
  }

  private endMeta(at: number): void {
    this.state = S.Initial;
    const line = this.decodeNonAscii(Buffer.from(this.metaLine, 'latin1')).trimEnd();
    const verdict = this.metaAtLineStart
      ? judgeMetaCommand(line, this.policy.ownDatabase)
      : ({ action: 'refuse', reason: 'a psql meta-command' } as const);
    if (verdict.action === 'refuse') {
      this.refuse(this.line, line, verdict.reason);
      this.resolveHold(at, true);
      return;
    }
    if (verdict.kind === 'restrict') this.restrictLines++;
    this.leftOut[verdict.reason] = (this.leftOut[verdict.reason] ?? 0) + 1;
    this.resolveHold(at, false);
  }

  private junkAfterNumber(c: number): boolean {
    this.refuse(
      this.line,
      String.fromCharCode(c),
      'a number followed by letters (psql and the server would split it differently)',
    );
    this.state = S.Initial;
    return false;
  }

  private endNumber(c: number): boolean {
    if (isIdentStart(c)) return this.junkAfterNumber(c);
    this.state = S.Initial;
    this.token('number', '0');
    return false;
  }

  private endWord(): void {
    this.state = S.Initial;
    if (!this.needTokens()) {
      this.identifierCount++;
      this.statement.countValues('word', '', this.parenDepth);
      return;
    }
    const raw = this.textValue();
    const word = this.textAscii ? raw.toUpperCase() : raw.replace(/[a-z]/g, (ch) => ch.toUpperCase());
    this.trackBeginAtomic(word);
    this.token('word', word);
  }

  /** psql's heuristic for CREATE FUNCTION ... BEGIN ATOMIC ... END: semicolons inside do not end the statement. */
  private trackBeginAtomic(word: string): void {
    if (this.identifierCount > 0 && this.identifiers[0] !== 'C') {
      this.identifierCount++; // not CREATE ...: psql's BEGIN tracking cannot apply to this statement
      return;
    }
    if (this.identifierCount === 0) this.identifiers = ['', '', '', ''];
    if (this.identifierCount < 4 && ['CREATE', 'FUNCTION', 'PROCEDURE', 'OR', 'REPLACE'].includes(word)) {
      this.identifiers[this.identifierCount] = word[0];
    }
    this.identifierCount++;
    const [a, b, c, d] = this.identifiers;
    const creatingRoutine =
      a === 'C' && (b === 'F' || b === 'P' || (b === 'O' && c === 'R' && (d === 'F' || d === 'P')));
    if (!creatingRoutine || this.parenDepth !== 0) return;
    if (word === 'BEGIN') this.beginDepth++;
    else if (word === 'CASE' && this.beginDepth >= 1) this.beginDepth++;
    else if (word === 'END' && this.beginDepth > 0) this.beginDepth--;
  }

  private token(kind: TokenKind, text: string): void {
    if (!this.needTokens()) {
      this.statement.countValues(kind, text, this.parenDepth);
      return;
    }
    const first = this.statement.empty;
    this.statement.add({ kind, text, depth: this.parenDepth }, this.line);
    if (first && kind === 'word' && (text === 'INSERT' || text === 'SELECT')) this.releaseRequested = true;
  }

  private endLineComment(): void {
    if (this.statement.empty) {
      // Built a byte a character: pg_dump's `-- Data for Name:` lines name tables in the dump's encoding.
      this.manifest.comment(this.decodeNonAscii(Buffer.from(this.commentText, 'latin1')));
      if (DUMP_COMPLETE.test(this.commentText)) this.completeSeen = true;
    }
    this.commentText = '';
  }

  private endStatement(end: number): void {
    const statement = this.statement;
    this.identifierCount = 0;
    if (statement.empty) {
      this.resolveHold(end, true);
      return;
    }
    this.statements++;
    this.recent[this.recentNext++ % RECENT_STATEMENTS] = statement;
    const verdict: Verdict = judgeStatement(statement, this.policy);
    if (this.policy.pendingDropDatabase !== undefined) this.policy.pendingDropLine ??= statement.line;
    if (verdict.action === 'refuse') this.refuse(statement.line, statement.describe(), verdict.reason);
    this.applySessionEffects(statement);
    if (verdict.action === 'drop') {
      this.leftOut[verdict.reason] = (this.leftOut[verdict.reason] ?? 0) + 1;
      if (verdict.deferredSql) {
        // Bounded like everything else the reader keeps: no database has this many tables forcing row security.
        if (this.deferred.length >= MAX_DEFERRED_STATEMENTS)
          this.refuse(statement.line, statement.describe(), 'more FORCE ROW LEVEL SECURITY statements than tables');
        this.deferred.push(verdict.deferredSql);
      }
      this.manifest.ownerNamed(statement);
    } else this.manifest.statement(statement);
    if (verdict.action === 'copy') {
      this.copyAfterThisLine = verdict.table;
      this.copyTable = verdict.table;
    }
    if (this.released) {
      this.released = false;
      if (this.output.holding) this.resolveHold(end, true);
    } else this.resolveHold(end, verdict.action !== 'drop');
    const copyTable = verdict.action === 'copy' ? verdict.table : undefined;
    this.output.mark(end, { kind: 'statement', statement, action: verdict.action, copyTable, line: this.line });
    this.statement = new Statement();
  }

  /** What a statement changes in psql's own reading of the lines after it. */
  private applySessionEffects(statement: Statement): void {
    const command = statement.tokens[0].text;
    if (command === 'INSERT' || command === 'SELECT' || command === 'CREATE' || command === 'ALTER') return;
    const words = statement.words(3);
    if (/^(BEGIN|START)/.test(words)) this.inTransaction = true;
    if (/^(COMMIT|END)/.test(words)) this.inTransaction = false;
    const tokens = statement.tokens;
    const settingAt = tokens[1]?.kind === 'word' && ['SESSION', 'LOCAL'].includes(tokens[1].text) ? 2 : 1;
    const setting = tokens[settingAt];
    if (setting?.text.toLowerCase() === 'client_encoding' && ['SET', 'RESET'].includes(tokens[0].text)) {
      const value = tokens[0].text === 'SET' && tokens[settingAt + 2] ? identifierValue(tokens[settingAt + 2]) : '';
      this.decodeNonAscii = decoderFor(value);
      return;
    }
    if (!setting || setting.text.toLowerCase() !== 'standard_conforming_strings') return;
    if (tokens[0].text === 'RESET') {
      this.stdStringsNextLine = true;
      return;
    }
    const value = (tokens[settingAt + 2]?.text ?? '').toLowerCase();
    const on = ['on', 'true', 'yes', '1', 'default'].includes(value);
    const off = ['off', 'false', 'no', '0'].includes(value);
    if (tokens[0].text !== 'SET' || tokens[1].text === 'LOCAL' || this.inTransaction || !(on || off)) {
      this.refuse(
        statement.line,
        statement.describe(),
        'a change of standard_conforming_strings psql could read differently',
      );
      return;
    }
    this.stdStringsNextLine = on;
  }

  // ---- lines and COPY data ----

  private newlineInState(): void {
    if (this.state === S.LineComment) {
      this.endLineComment();
      this.state = S.Initial;
    } else if (this.state === S.Dash || this.state === S.Slash) {
      this.token('punct', this.state === S.Dash ? '-' : '/');
      this.state = S.Initial;
    } else if (this.state === S.Ident || this.state === S.Prefix || this.state === S.PrefixU) this.endWord();
    else if (this.state === S.PrefixUAmp) {
      this.endWord();
      this.token('punct', '&');
    } else if (this.state === S.Number || this.state === S.Param) this.endNumber(NL);
    else if (this.state === S.NumberExp || this.state === S.NumberExpSign) this.junkAfterNumber(NL);
    else if (this.state === S.Colon) {
      this.state = S.Initial;
      this.token('punct', ':');
    } else if (this.state === S.ColonVar || this.state === S.ColonQuoted) this.colonVariable(NL);
    else if (this.state === S.Dollar) this.dollar(NL);
    else if (this.state === S.DollarQuotedTag) this.state = S.DollarQuoted;
    else if (this.state === S.StdStringQuote || this.state === S.EscStringQuote) {
      this.closeString(this.state === S.StdStringQuote ? S.StdString : S.EscString);
    } else if (this.state === S.EscStringBackslash)
      this.state = S.EscString; // psql's line holds no newline to escape
    else if (this.state === S.QuotedIdentQuote) {
      this.state = S.Initial;
      this.token('ident', this.textValue());
    } else if (this.state === S.CommentSlash || this.state === S.CommentStar) this.state = S.Comment;
    this.countLine();
  }

  /** psql's line bookkeeping at every newline, whatever the state. */
  private countLine(): void {
    this.line++;
    this.lineHasContent = false;
    if (this.stdStringsNextLine !== undefined) {
      this.stdStrings = this.stdStringsNextLine;
      this.stdStringsNextLine = undefined;
    }
    if (this.copyAfterThisLine) {
      this.copyAfterThisLine = undefined;
      this.inCopy = true;
      this.copyDataPending = true;
      this.copyBlock = new CopyBlock();
    }
  }

  private readCopyData(chunk: Buffer, start: number): number {
    const block = this.copyBlock!;
    const { end, lines, cut } = block.read(chunk, start, this.options.copyCutBytes);
    this.line += lines;
    if (end === -1) return chunk.length;
    if (cut) {
      this.output.mark(end, { kind: 'copy-cut', table: this.copyTable, line: this.line });
      return end;
    }
    this.inCopy = false;
    this.manifest.copyRows(this.copyTable, block.rows);
    this.output.mark(end, { kind: 'copy-end', table: this.copyTable, rows: block.rows, line: this.line });
    return end;
  }

  private endOfInput(): void {
    if (this.inCopy) return;
    if (this.state === S.Meta) this.endMeta(0);
    else if (this.state === S.QuoteStop) this.endString();
    else if (this.state !== S.Initial) this.newlineInState();
    if (this.state === S.LineComment) this.endLineComment();
    // psql sends a statement left without `;` at the end of its input: judge it like any other.
    if (!this.statement.empty) this.endStatement(0);
    else this.resolveHold(0, true);
    if (this.policy.pendingDropDatabase !== undefined) {
      this.refuse(
        this.policy.pendingDropLine ?? this.line,
        `DROP DATABASE ${this.policy.pendingDropDatabase}`,
        'DROP DATABASE of a database the dump does not create',
      );
    }
  }

  /** The server functions that reach outside the database, wherever they appear (function bodies included). */
  private scanForDangerousCalls(chunk: Buffer, from: number, to: number): void {
    if (to <= from) return;
    // psql reads its input a line at a time as C strings: a NUL byte ends the line for psql, not for this reader.
    // The chunk is searched once (chunkHasNul); only a chunk that holds one is searched again per stretch.
    const found = this.chunkHasNul ? chunk.subarray(from, to).indexOf(0) : -1;
    if (found >= 0) {
      const line = this.line - countNewlines(chunk.subarray(from + found, to));
      this.refuse(
        Math.max(1, line),
        'a NUL byte',
        'a NUL byte outside COPY data: psql would read the line differently',
      );
    }
    const text = this.scanCarry + chunk.toString('latin1', from, to);
    const match = DANGEROUS_FUNCTIONS.exec(text) ?? DANGEROUS_SETTINGS.exec(text);
    this.scanCarry = match ? '' : text.slice(-64);
    if (!match) return;
    // this.line is the line at `to`: step back over the newlines after the match.
    const line = this.line - countNewlines(Buffer.from(text.slice(match.index), 'latin1'));
    this.refuse(Math.max(1, line), match[0], 'a server function that reaches outside the database or the session');
  }
}

function isDigit(c: number): boolean {
  return c >= 0x30 && c <= 0x39;
}

function isIdentStart(c: number): boolean {
  return (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) || c === 0x5f || c >= 0x80;
}

function isIdentCont(c: number): boolean {
  return isIdentStart(c) || isDigit(c) || c === DOLLAR;
}

function isVariableChar(c: number): boolean {
  return isIdentStart(c) || isDigit(c);
}

function utf8Text(bytes: Buffer): string {
  return bytes.toString('utf8');
}

/** PostgreSQL's single-byte and EUC client encodings (names without `_` or `-`) as WHATWG labels. */
const ENCODING_LABELS: Record<string, string> = {
  LATIN2: 'iso-8859-2',
  LATIN3: 'iso-8859-3',
  LATIN4: 'iso-8859-4',
  LATIN5: 'iso-8859-9',
  LATIN6: 'iso-8859-10',
  LATIN7: 'iso-8859-13',
  LATIN8: 'iso-8859-14',
  LATIN9: 'iso-8859-15',
  LATIN10: 'iso-8859-16',
  ISO88595: 'iso-8859-5',
  ISO88596: 'iso-8859-6',
  ISO88597: 'iso-8859-7',
  ISO88598: 'iso-8859-8',
  WIN866: 'ibm866',
  WIN874: 'windows-874',
  KOI8R: 'koi8-r',
  KOI8U: 'koi8-u',
  EUCJP: 'euc-jp',
  EUCKR: 'euc-kr',
};

/**
 * The decoder of a `SET client_encoding` value. LATIN1 is ISO 8859-1 itself (WHATWG's label would give
 * windows-1252); UTF8, SQL_ASCII (bytes as they are) and an encoding Node cannot decode stay UTF-8.
 */
export function decoderFor(encoding: string): (bytes: Buffer) => string {
  const name = encoding.toUpperCase().replace(/[^A-Z0-9]/g, '');
  if (name === 'LATIN1' || name === 'ISO88591') return (bytes) => bytes.toString('latin1');
  const label = /^WIN125[0-8]$/.test(name) ? `windows-${name.slice(3)}` : ENCODING_LABELS[name];
  if (!label) return utf8Text;
  try {
    const decoder = new TextDecoder(label);
    return (bytes) => decoder.decode(bytes);
  } catch {
    return utf8Text;
  }
}
