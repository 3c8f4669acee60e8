import {
  identifierValue,
  isWord,
  MAX_STATEMENT_TOKENS,
  readQualifiedName,
  type Statement,
  type Token,
} from './dump-statement';

/**
 * What a backup may make psql do. A plain pg_dump of one database only creates and fills objects inside the
 * database it is restored into; anything that reaches the cluster, another database, the server's files or
 * programs is refused. Ownership statements are left out (pg_restore --no-owner): the product hands the
 * restored objects to the service's role afterwards.
 */
export type Verdict =
  | { action: 'forward' }
  | { action: 'drop'; reason: string; deferredSql?: string }
  | { action: 'refuse'; reason: string }
  | { action: 'copy'; table: string[] };

/**
 * Client encodings whose multibyte characters may contain `\` or `'` bytes, so psql's lexer and ours could disagree:
 * every spelling the server accepts for them. The server compares names as clean_encoding_name() leaves them
 * (lower case, letters and digits only: `Shift-JIS`, `shift_jis` and `SHIFTJIS` are one name).
 */
const UNSAFE_CLIENT_ENCODINGS = new Set([
  'sjis',
  'shiftjis',
  'mskanji',
  'win932',
  'windows932',
  'cp932',
  'big5',
  'win950',
  'windows950',
  'cp950',
  'gbk',
  'win936',
  'windows936',
  'cp936',
  'uhc',
  'win949',
  'windows949',
  'cp949',
  'gb18030',
  'johab',
  'shiftjis2004',
]);

/** An encoding name as the server compares it (clean_encoding_name in PostgreSQL's encnames.c). */
export function cleanEncodingName(name: string): string {
  return name.toLowerCase().replace(/[^a-z0-9]/g, '');
}

/** First words a pg_dump output is made of; anything else (DO, CALL, LOAD, DELETE, ...) is not a dump's. */
const DUMP_COMMANDS = new Set([
  'SET',
  'RESET',
  'SELECT',
  'CREATE',
  'ALTER',
  'COMMENT',
  'GRANT',
  'REVOKE',
  'COPY',
  'INSERT',
  'DROP',
  'SECURITY',
  'REFRESH',
  'BEGIN',
  'COMMIT',
  'START',
  'END',
  'TRUNCATE',
]);

const CLUSTER_OBJECTS = new Set(['ROLE', 'USER', 'GROUP', 'TABLESPACE', 'SYSTEM', 'SUBSCRIPTION', 'SERVER']);
const UNTRUSTED_EXTENSIONS = new Set([
  'dblink',
  'postgres_fdw',
  'file_fdw',
  'adminpack',
  'pageinspect',
  'pg_buffercache',
]);

export interface PolicyState {
  /** The database a `--create` dump creates: its own CREATE/ALTER DATABASE and `\connect` are left out. */
  ownDatabase?: string;
  /** A `--clean --create` dump drops its own database first; allowed only if CREATE DATABASE of it follows. */
  pendingDropDatabase?: string;
  pendingDropLine?: number;
  superusers: Set<string>;
  /** Set once the dump has done more than SET/SELECT: a --create dump's database statements come before that. */
  pastPrologue?: boolean;
}

export function judgeStatement(statement: Statement, state: PolicyState): Verdict {
  const tokens = statement.tokens;
  const command = tokens[0];
  if (!command) return { action: 'forward' };
  if (command.kind !== 'word' || !DUMP_COMMANDS.has(command.text)) {
    return { action: 'refuse', reason: `a statement pg_dump never writes (${statement.words(1)})` };
  }
  if (statement.truncated) {
    return {
      action: 'refuse',
      reason: `a statement of more than ${MAX_STATEMENT_TOKENS.toLocaleString('en')} tokens (the reader's limit)`,
    };
  }
  if (state.pendingDropDatabase && !isWord(command, 'CREATE', 'SET', 'SELECT')) {
    return {
      action: 'refuse',
      reason: `DROP DATABASE ${state.pendingDropDatabase} (line ${state.pendingDropLine}) not followed by its CREATE DATABASE`,
    };
  }
  const verdict = judgeCommand(statement, state);
  if (!isWord(command, 'SET', 'RESET', 'SELECT') && !isDatabaseStatement(tokens)) state.pastPrologue = true;
  return verdict;
}

function isDatabaseStatement(tokens: Token[]): boolean {
  return isWord(tokens[0], 'CREATE', 'DROP', 'ALTER') && isWord(tokens[1], 'DATABASE');
}

function judgeCommand(statement: Statement, state: PolicyState): Verdict {
  const tokens = statement.tokens;
  const command = tokens[0];
  switch (command.text) {
    case 'COPY':
      return judgeCopy(tokens);
    case 'SET':
    case 'RESET':
      return judgeSet(tokens, state);
    case 'CREATE':
      return judgeCreate(tokens, state);
    case 'ALTER':
      return judgeAlter(statement, state);
    case 'DROP':
      return judgeDrop(tokens, state);
    case 'COMMENT':
    case 'SECURITY':
      return judgeCommentOrLabel(tokens, state);
    case 'GRANT':
    case 'REVOKE':
      return judgeGrant(statement, state);
    case 'SELECT':
      return judgeSelect(tokens);
    default:
      return { action: 'forward' };
  }
}

/** Only `COPY name [(columns)] FROM stdin;`: PROGRAM runs a shell, a file name reads the server's disk. */
function judgeCopy(tokens: Token[]): Verdict {
  const name = readQualifiedName(tokens, 1);
  if (!name) return { action: 'refuse', reason: 'COPY of something that is not a table' };
  let i = name.next;
  if (tokens[i]?.kind === 'punct' && tokens[i].text === '(') {
    while (tokens[i] && !(tokens[i].kind === 'punct' && tokens[i].text === ')' && tokens[i].depth === 0)) i++;
    i++;
  }
  if (isWord(tokens[i], 'FROM') && isWord(tokens[i + 1], 'STDIN') && isEnd(tokens, i + 2)) {
    return { action: 'copy', table: name.parts };
  }
  if (tokens.some((t) => isWord(t, 'PROGRAM')))
    return { action: 'refuse', reason: 'COPY ... PROGRAM runs a shell command' };
  return { action: 'refuse', reason: 'COPY other than "COPY table FROM stdin" (server files, TO, options)' };
}

/**
 * pg_dump calls set_config with a literal name only (`set_config('search_path', '', false)`). A computed name
 * could switch standard_conforming_strings or client_encoding, which change how psql reads what follows, past
 * the text scan that looks for those names.
 */
function judgeSelect(tokens: Token[]): Verdict {
  const call = tokens.findIndex((t, i) => isWord(t, 'SET_CONFIG') && tokens[i + 1]?.text === '(');
  // The first argument must be one string literal, followed by the comma: not an expression that starts with one.
  if (call >= 0 && (tokens[call + 2]?.kind !== 'string' || tokens[call + 3]?.text !== ',')) {
    return { action: 'refuse', reason: 'set_config with a computed setting name' };
  }
  return { action: 'forward' };
}

function isEnd(tokens: Token[], index: number): boolean {
  return tokens.length === index || (tokens.length === index + 1 && tokens[index].text === ';');
}

function settingName(tokens: Token[]): { name: string; valueIndex: number } {
  let i = 1;
  if (isWord(tokens[i], 'SESSION') && isWord(tokens[i + 1], 'AUTHORIZATION'))
    return { name: 'SESSION AUTHORIZATION', valueIndex: i + 2 };
  if (isWord(tokens[i], 'SESSION', 'LOCAL')) i++;
  if (isWord(tokens[i], 'SESSION') && isWord(tokens[i + 1], 'AUTHORIZATION'))
    return { name: 'SESSION AUTHORIZATION', valueIndex: i + 2 };
  const name = tokens[i] ? identifierValue(tokens[i]).toLowerCase() : '';
  const next = tokens[i + 1];
  const valueIndex = next && (next.text === '=' || isWord(next, 'TO')) ? i + 2 : i + 1;
  return { name, valueIndex };
}

function judgeSet(tokens: Token[], state: PolicyState): Verdict {
  const { name, valueIndex } = settingName(tokens);
  const value = tokens[valueIndex] ? identifierValue(tokens[valueIndex]) : '';
  if (name === 'SESSION AUTHORIZATION' || name === 'role') {
    if (tokens[0].text === 'RESET' || state.superusers.has(value) || value.toLowerCase() === 'postgres') {
      if (tokens[0].text === 'RESET') return { action: 'drop', reason: 'restored without owners' };
      return { action: 'refuse', reason: `${tokens[0].text} ${name.toUpperCase()} to the superuser ${value}` };
    }
    return { action: 'drop', reason: 'restored without owners (the product hands ownership to the service role)' };
  }
  // SET NAMES is the SQL standard's spelling of SET client_encoding.
  if ((name === 'client_encoding' || name === 'names') && UNSAFE_CLIENT_ENCODINGS.has(cleanEncodingName(value))) {
    return {
      action: 'refuse',
      reason: `client_encoding ${value}: psql would read its multibyte characters differently`,
    };
  }
  if (name === 'session_replication_role') return { action: 'refuse', reason: 'SET session_replication_role' };
  return { action: 'forward' };
}

function databaseNameAt(tokens: Token[], index: number): string | undefined {
  let i = index;
  if (isWord(tokens[i], 'IF') && isWord(tokens[i + 1], 'EXISTS')) i += 2;
  return tokens[i] && (tokens[i].kind === 'word' || tokens[i].kind === 'ident')
    ? identifierValue(tokens[i])
    : undefined;
}

function ownDatabaseOnly(name: string | undefined, state: PolicyState, what: string): Verdict {
  if (name !== undefined && name === state.ownDatabase) return { action: 'drop', reason: `the dump's own ${what}` };
  return { action: 'refuse', reason: `${what} of another database (${name ?? '?'})` };
}

function judgeCreate(tokens: Token[], state: PolicyState): Verdict {
  let i = 1;
  if (isWord(tokens[i], 'OR') && isWord(tokens[i + 1], 'REPLACE')) i += 2;
  const object = tokens[i];
  if (isWord(object, 'DATABASE')) {
    const name = databaseNameAt(tokens, i + 1);
    if (state.ownDatabase !== undefined) return { action: 'refuse', reason: `a second CREATE DATABASE (${name})` };
    if (state.pastPrologue) {
      return {
        action: 'refuse',
        reason: `CREATE DATABASE ${name} after the dump's first objects (not a --create dump's own)`,
      };
    }
    if (state.pendingDropDatabase !== undefined && state.pendingDropDatabase !== name) {
      return { action: 'refuse', reason: `DROP DATABASE ${state.pendingDropDatabase} then CREATE DATABASE ${name}` };
    }
    state.ownDatabase = name;
    state.pendingDropDatabase = undefined;
    state.pendingDropLine = undefined;
    return { action: 'drop', reason: "the dump's own CREATE DATABASE (restored into the side database)" };
  }
  if (isWord(object, 'USER') && isWord(tokens[i + 1], 'MAPPING'))
    return { action: 'refuse', reason: 'CREATE USER MAPPING (connections to other servers)' };
  if (object?.kind === 'word' && CLUSTER_OBJECTS.has(object.text)) {
    return { action: 'refuse', reason: `CREATE ${object.text} acts on the whole server` };
  }
  if (isWord(object, 'FOREIGN') && isWord(tokens[i + 1], 'DATA'))
    return { action: 'refuse', reason: 'CREATE FOREIGN DATA WRAPPER' };
  if (isWord(object, 'EVENT')) return { action: 'refuse', reason: 'CREATE EVENT TRIGGER needs a superuser' };
  if (isWord(object, 'EXTENSION')) {
    const name = databaseNameAt(tokens, isWord(tokens[i + 1], 'IF') && isWord(tokens[i + 2], 'NOT') ? i + 4 : i + 1);
    if (name && UNTRUSTED_EXTENSIONS.has(name)) {
      return { action: 'refuse', reason: `CREATE EXTENSION ${name} reaches other databases or the server's files` };
    }
  }
  return { action: 'forward' };
}

function judgeAlter(statement: Statement, state: PolicyState): Verdict {
  const tokens = statement.tokens;
  const object = tokens[1];
  if (isWord(object, 'DATABASE')) return ownDatabaseOnly(databaseNameAt(tokens, 2), state, 'ALTER DATABASE');
  if (isWord(object, 'ROLE', 'USER', 'GROUP')) {
    const inDatabase = tokens.findIndex((t, i) => isWord(t, 'IN') && isWord(tokens[i + 1], 'DATABASE'));
    if (inDatabase > 0)
      return ownDatabaseOnly(databaseNameAt(tokens, inDatabase + 2), state, 'ALTER ROLE ... IN DATABASE');
    return { action: 'refuse', reason: `ALTER ${object!.text} changes a role of the whole server` };
  }
  if (object?.kind === 'word' && CLUSTER_OBJECTS.has(object.text)) {
    return { action: 'refuse', reason: `ALTER ${object.text} acts on the whole server` };
  }
  if (isWord(object, 'DEFAULT'))
    return { action: 'drop', reason: 'default privileges belong to roles (restored without owners)' };
  if (ownerToAt(tokens) >= 0)
    return { action: 'drop', reason: 'restored without owners (the product hands ownership to the service role)' };
  const forced = forcedRowSecurityTable(tokens);
  if (forced) {
    return {
      action: 'drop',
      reason: FORCE_ROW_SECURITY_DEFERRED,
      deferredSql: `ALTER TABLE ONLY ${forced.map(quoted).join('.')} FORCE ROW LEVEL SECURITY`,
    };
  }
  return { action: 'forward' };
}

function judgeDrop(tokens: Token[], state: PolicyState): Verdict {
  const object = tokens[1];
  if (isWord(object, 'DATABASE')) {
    const name = databaseNameAt(tokens, 2);
    if (
      !state.pastPrologue &&
      state.ownDatabase === undefined &&
      state.pendingDropDatabase === undefined &&
      name !== undefined
    ) {
      state.pendingDropDatabase = name;
      state.pendingDropLine = undefined;
      return { action: 'drop', reason: "a --clean --create dump's DROP DATABASE (restored into the side database)" };
    }
    return { action: 'refuse', reason: `DROP DATABASE ${name ?? ''}`.trim() };
  }
  if (object?.kind === 'word' && (CLUSTER_OBJECTS.has(object.text) || object.text === 'OWNED')) {
    return { action: 'refuse', reason: `DROP ${object.text} acts on the whole server` };
  }
  return { action: 'forward' };
}

function judgeCommentOrLabel(tokens: Token[], state: PolicyState): Verdict {
  const on = tokens.findIndex((t) => isWord(t, 'ON'));
  const object = tokens[on + 1];
  if (on < 0) return { action: 'forward' };
  if (isWord(object, 'DATABASE')) return ownDatabaseOnly(databaseNameAt(tokens, on + 2), state, 'COMMENT ON DATABASE');
  if (isWord(object, 'EXTENSION')) return { action: 'drop', reason: 'an extension may belong to another role' };
  if (object?.kind === 'word' && CLUSTER_OBJECTS.has(object.text)) {
    return { action: 'refuse', reason: `${tokens[0].text} ON ${object.text} acts on the whole server` };
  }
  return { action: 'forward' };
}

function judgeGrant(statement: Statement, state: PolicyState): Verdict {
  const tokens = statement.tokens;
  const on = tokens.findIndex((t) => isWord(t, 'ON') && t.depth === 0);
  if (on < 0) {
    return { action: 'refuse', reason: `${tokens[0].text} of role membership changes roles of the whole server` };
  }
  const object = tokens[on + 1];
  if (isWord(object, 'DATABASE'))
    return ownDatabaseOnly(databaseNameAt(tokens, on + 2), state, `${tokens[0].text} ON DATABASE`);
  if (isWord(object, 'TABLESPACE', 'FOREIGN'))
    return { action: 'refuse', reason: `${tokens[0].text} ON ${object!.text}` };
  return { action: 'forward' };
}

export const FORCE_ROW_SECURITY_DEFERRED =
  'FORCE ROW LEVEL SECURITY, applied once the dump is in (the restore role owns the tables: forced, their ' +
  "policies would apply to its own REFRESH MATERIALIZED VIEW and foreign keys, as they never do to pg_dump's superuser)";

/** `ALTER TABLE [ONLY] name FORCE ROW LEVEL SECURITY [;]`: the table's name parts. */
function forcedRowSecurityTable(tokens: Token[]): string[] | undefined {
  if (!isWord(tokens[1], 'TABLE')) return undefined;
  const name = readQualifiedName(tokens, isWord(tokens[2], 'ONLY') ? 3 : 2);
  if (!name) return undefined;
  const rest = tokens.slice(name.next).filter((t) => t.text !== ';');
  const words = rest.map((t) => (t.kind === 'word' ? t.text : '?')).join(' ');
  return words === 'FORCE ROW LEVEL SECURITY' ? name.parts : undefined;
}

function quoted(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

/**
 * Where `OWNER TO role` ends an ALTER (the role may be followed only by the semicolon), or -1: a column named
 * owner (`RENAME COLUMN owner TO x`) is not an ownership change.
 */
export function ownerToAt(tokens: Token[]): number {
  const end = tokens[tokens.length - 1]?.text === ';' ? tokens.length - 1 : tokens.length;
  const at = end - 3;
  const role = tokens[at + 2];
  if (at < 2 || !isWord(tokens[at], 'OWNER') || !isWord(tokens[at + 1], 'TO') || tokens[at].depth !== 0) return -1;
  return role && (role.kind === 'word' || role.kind === 'ident') ? at : -1;
}

/** Roles a GRANT/REVOKE names after its last top-level TO/FROM. */
export function grantees(statement: Statement): string[] {
  const last = statement.tokens;
  const command = statement.tokens[0]?.text;
  const keyword = command === 'GRANT' ? 'TO' : command === 'REVOKE' ? 'FROM' : undefined;
  if (!keyword) return [];
  let at = last.length - 1;
  while (at >= 0 && !(isWord(last[at], keyword) && last[at].depth === 0)) at--;
  if (at < 0) return [];
  const roles: string[] = [];
  for (const token of last.slice(at + 1)) {
    if (
      token.kind === 'word' &&
      ['GRANT', 'WITH', 'OPTION', 'CASCADE', 'RESTRICT', 'GRANTED', 'BY'].includes(token.text)
    )
      break;
    if (token.kind === 'word' && token.text === 'GROUP') continue;
    if (token.kind === 'word' || token.kind === 'ident') roles.push(identifierValue(token));
  }
  return roles.filter((r) => !['public', 'current_user', 'session_user', 'current_role'].includes(r.toLowerCase()));
}
