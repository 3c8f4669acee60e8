/**
 * psql's error output, reduced to what may enter a workflow's history. psql prints an ERROR line and then DETAIL,
 * CONTEXT, HINT and LINE lines; DETAIL quotes keys (`Key (token)=(sk_live_...)`), CONTEXT quotes the COPY value
 * that failed, LINE quotes the statement, and some ERROR lines echo the value themselves (`invalid input syntax
 * for type uuid: "..."`). Only the ERROR line is kept, with every quoted value redacted; the COPY row and column
 * are taken from CONTEXT without the value. The whole output goes to the worker's log, never further.
 */

export interface PsqlError {
  /**
   * The line of psql's input the error was reported at (psql counts the lines of its standard input; an error in
   * COPY data is reported at the block's closing `\.`).
   */
  inputLine: number;
  /** With psql's VERBOSITY=verbose: the SQLSTATE, e.g. 23505. */
  sqlState?: string;
  severity: string;
  /** The ERROR line's message, quoted values redacted. */
  message: string;
  /** For an error in a COPY block: the table, the data row of the block (1-based) and the column, never the value. */
  copy?: { table: string; row: number; column?: string };
}

/** A server's ERROR/FATAL/PANIC, or psql's own `error:` (a meta-command refused, the connection lost). */
const LOCATED = /^psql:<stdin>:(\d+): (ERROR|FATAL|PANIC|error):\s+(?:([0-9A-Z]{5}): )?(.*)$/;
const COPY_CONTEXT = /^CONTEXT:\s+COPY ([^,]+), line (\d+)(?:, column ([^:]+?))?(?::|$)/;
const MAX_MESSAGE = 400;

/** The last located error psql reported, if any. */
export function lastPsqlError(stderr: string): PsqlError | undefined {
  const lines = stderr.split('\n');
  let found: PsqlError | undefined;
  for (const line of lines) {
    const located = LOCATED.exec(line);
    if (located) {
      found = {
        inputLine: Number(located[1]),
        severity: located[2],
        sqlState: located[3],
        message: cut(redactQuotedValues(located[4])),
      };
      continue;
    }
    if (line.startsWith('psql:')) continue;
    const copy = found && !found.copy ? COPY_CONTEXT.exec(line) : null;
    if (found && copy) found.copy = { table: copy[1], row: Number(copy[2]), column: copy[3] };
  }
  return found;
}

/** Lines psql writes about its connection, which carry no data: kept (redacted) when no ERROR line was located. */
const CONNECTION_LINES =
  /(server closed the connection|connection to server|could not connect|could not receive data|could not send data|terminating connection|the database system is|no connection to the server|SSL SYSCALL error|cannot run psql|password authentication failed)/i;

/** Without a located ERROR: the lines about the connection, redacted; everything else only counted. */
export function connectionLines(stderr: string): string {
  const lines = stderr
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean);
  const kept = lines.filter((l) => CONNECTION_LINES.test(l)).slice(-2);
  const others = lines.length - kept.length;
  const parts = kept.map((l) => cut(redactQuotedValues(l)));
  if (others > 0) parts.push(`${others} more line(s) of psql's output in the worker's log`);
  return parts.join(' | ') || 'no error output';
}

/**
 * SQLSTATE classes that another attempt may not meet: connection exceptions (08), transaction rollbacks such as
 * deadlocks (40), insufficient resources (53), operator intervention such as an administrator's shutdown or a
 * cancelled query (57), system and internal errors (58, XX), a lock not available or an object in use (55P03,
 * 55006). Everything else (data exceptions 22, integrity violations 23, syntax and access 42, ...) recurs.
 */
export function isTransientSqlState(sqlState: string): boolean {
  return /^(08|40|53|57|58|XX)/.test(sqlState) || sqlState === '55P03' || sqlState === '55006';
}

/** Words after which a double-quoted name is an identifier, not a value. */
const IDENTIFIER_WORDS = new Set([
  'aggregate',
  'attribute',
  'collation',
  'column',
  'constraint',
  'conversion',
  'database',
  'domain',
  'encoding',
  'extension',
  'function',
  'index',
  'language',
  'operator',
  'parameter',
  'policy',
  'procedure',
  'publication',
  'relation',
  'role',
  'routine',
  'rule',
  'schema',
  'sequence',
  'server',
  'subscription',
  'table',
  'tablespace',
  'trigger',
  'type',
  'user',
  'view',
]);

const DELIMITER = /[\s,.;:)\]}]/;

/**
 * Replaces quoted values with "…": every '...' and every "..." not right after a word that names an identifier
 * (`constraint "users_token_key"` stays, `for type uuid: "sk_live_..."` does not), and hex byte sequences
 * (`invalid byte sequence for encoding "UTF8": 0xe9 0x20`). A value ends at a closing quote followed by a
 * delimiter or the end, so a value holding a quote is still redacted whole: `"ab"c"` becomes `"…"`.
 */
export function redactQuotedValues(text: string): string {
  let out = '';
  let i = 0;
  while (i < text.length) {
    const ch = text[i];
    if (ch !== '"' && ch !== "'") {
      out += ch;
      i++;
      continue;
    }
    const word = /([A-Za-z_]+)\s*$/.exec(text.slice(0, i))?.[1]?.toLowerCase();
    if (ch === '"' && word && IDENTIFIER_WORDS.has(word)) {
      const close = text.indexOf('"', i + 1);
      const end = close < 0 ? text.length : close + 1;
      out += text.slice(i, end);
      i = end;
      continue;
    }
    out += `${ch}…${ch}`;
    i = valueEnd(text, i, ch);
  }
  return out.replace(/\b0x[0-9a-fA-F]{1,8}(?:\s+0x[0-9a-fA-F]{1,8})*/g, '0x…');
}

/** The index after a quoted value opened at `open`: past a closing quote followed by a delimiter, or the end. */
function valueEnd(text: string, open: number, quote: string): number {
  for (let j = open + 1; j < text.length; j++) {
    if (text[j] !== quote) continue;
    // SQL's doubled quote inside a literal is part of the value.
    if (text[j + 1] === quote) {
      j++;
      continue;
    }
    if (j + 1 === text.length || DELIMITER.test(text[j + 1])) return j + 1;
  }
  return text.length;
}

/**
 * A dump statement as the dump reader describes it, made safe for history: its string literals redacted and
 * an INSERT cut at VALUES (a --inserts dump puts rows there).
 */
export function redactStatement(statement: string): string {
  const values = /\bVALUES\b/i.exec(statement);
  const head = /^\s*INSERT\b/i.test(statement) && values ? `${statement.slice(0, values.index)}VALUES (…)` : statement;
  return redactQuotedLiterals(head);
}

/** Redacts '...' literals (with '' inside), keeping "..." identifiers as they are. */
function redactQuotedLiterals(text: string): string {
  let out = '';
  let i = 0;
  while (i < text.length) {
    const ch = text[i];
    if (ch === '"') {
      let j = i + 1;
      for (; j < text.length; j++) {
        if (text[j] !== '"') continue;
        if (text[j + 1] === '"') j++;
        else break;
      }
      out += text.slice(i, j + 1);
      i = j + 1;
    } else if (ch === "'") {
      let j = i + 1;
      for (; j < text.length; j++) {
        if (text[j] !== "'") continue;
        if (text[j + 1] === "'") j++;
        else break;
      }
      out += "'…'";
      i = j + 1;
    } else {
      out += ch;
      i++;
    }
  }
  return out;
}

function cut(text: string): string {
  return text.length > MAX_MESSAGE ? `${text.slice(0, MAX_MESSAGE - 3)}...` : text;
}
