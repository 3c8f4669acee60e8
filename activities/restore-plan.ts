import type { Verdict } from './dump-policy';
import { isWord, readQualifiedName, type Statement, type Token } from './dump-statement';

/**
 * How the parallel restore runs one statement of a dump, read from its first tokens (the reader's own, so
 * the plan never reads the dump differently from the policy). pg_restore -j orders a custom dump's steps by
 * its table of contents; a plain dump has none, so the plan is conservative: only the steps pg_dump writes
 * after the data and whose tables are named in them run in parallel, everything else in the dump's order.
 */
export type StatementPlan =
  /** Left out by the dump policy: nothing to run. */
  | { kind: 'skip' }
  /** A session setting (SET, set_config): replayed at the start of every unit that follows it. */
  | { kind: 'session'; key: string }
  /** Transaction control: the rest of the dump runs on one connection, in order, as psql would. */
  | { kind: 'transaction' }
  /** Runs alone, after every unit before it and before every unit after it. */
  | { kind: 'barrier'; label: string }
  /** Runs beside other units, after the earlier units whose table locks conflict with its own. */
  | { kind: 'parallel'; label: string; locks: TableLock[] };

/** Which units may load the same table at once: COPY (ROW EXCLUSIVE) with COPY, CREATE INDEX (SHARE) with another. */
export type LockMode = 'write' | 'share' | 'exclusive';

export interface TableLock {
  table: string;
  mode: LockMode;
}

export function locksConflict(a: LockMode, b: LockMode): boolean {
  return a === 'exclusive' || b === 'exclusive' || a !== b;
}

const TRANSACTION_WORDS = ['BEGIN', 'START', 'COMMIT', 'END', 'ROLLBACK', 'ABORT', 'SAVEPOINT', 'RELEASE', 'PREPARE'];

export function planStatement(statement: Statement, action: Verdict['action']): StatementPlan {
  if (action === 'drop') return { kind: 'skip' };
  const tokens = statement.tokens;
  const command = tokens[0];
  if (!command) return { kind: 'skip' };
  if (isWord(command, ...TRANSACTION_WORDS)) return { kind: 'transaction' };
  const session = sessionKey(tokens);
  if (session) return { kind: 'session', key: session };
  return createIndex(tokens) ?? addConstraint(statement) ?? setSequenceValue(tokens) ?? barrier(statement);
}

function barrier(statement: Statement): StatementPlan {
  return { kind: 'barrier', label: statement.describe().slice(0, 80) };
}

/** `SET name ...`, `RESET name`, `SELECT pg_catalog.set_config('name', ..., false)`; not SET LOCAL. */
function sessionKey(tokens: Token[]): string | undefined {
  if (isWord(tokens[0], 'SET', 'RESET')) {
    if (isWord(tokens[1], 'LOCAL')) return undefined;
    const at = isWord(tokens[1], 'SESSION') ? 2 : 1;
    const name = tokens[at];
    if (!name || (name.kind !== 'word' && name.kind !== 'ident')) return undefined;
    return name.text.toLowerCase();
  }
  const call = qualifiedCall(tokens, 1);
  if (isWord(tokens[0], 'SELECT') && call?.name === 'pg_catalog.set_config' && tokens[call.next]?.kind === 'string') {
    const last = tokens[tokens.length - 1];
    const localFlag = tokens[tokens.length - 2];
    if (last?.text === ')' && isWord(localFlag, 'FALSE') && tokens.length < 24)
      return `set_config:${tokens[call.next].text}`;
  }
  return undefined;
}

/** `CREATE [UNIQUE] INDEX name ON [ONLY] schema.table ...`: SHARE lock, beside other indexes of the table. */
function createIndex(tokens: Token[]): StatementPlan | undefined {
  let i = 1;
  if (!isWord(tokens[0], 'CREATE')) return undefined;
  if (isWord(tokens[i], 'UNIQUE')) i++;
  if (!isWord(tokens[i], 'INDEX')) return undefined;
  i++;
  if (isWord(tokens[i], 'CONCURRENTLY', 'IF')) return undefined;
  const name = tokens[i];
  if (!name || (name.kind !== 'word' && name.kind !== 'ident') || !isWord(tokens[i + 1], 'ON')) return undefined;
  i += 2;
  if (isWord(tokens[i], 'ONLY')) i++;
  const table = qualifiedTable(tokens, i);
  if (!table) return undefined;
  return { kind: 'parallel', label: `CREATE INDEX ${name.text}`, locks: [{ table: table.name, mode: 'share' }] };
}

/**
 * `ALTER TABLE [ONLY] schema.table ADD CONSTRAINT name ...`: an exclusive step on the table; a FOREIGN KEY also
 * on the table it references, so it runs after that table's keys and indexes, as pg_restore orders it.
 */
function addConstraint(statement: Statement): StatementPlan | undefined {
  const tokens = statement.tokens;
  if (!isWord(tokens[0], 'ALTER') || !isWord(tokens[1], 'TABLE')) return undefined;
  let i = 2;
  if (isWord(tokens[i], 'ONLY')) i++;
  const table = qualifiedTable(tokens, i);
  if (!table || !isWord(tokens[table.next], 'ADD') || !isWord(tokens[table.next + 1], 'CONSTRAINT')) return undefined;
  const name = tokens[table.next + 2];
  if (!name || (name.kind !== 'word' && name.kind !== 'ident')) return undefined;
  const kind = tokens[table.next + 3];
  const label = `ADD CONSTRAINT ${name.text}`;
  const locks: TableLock[] = [{ table: table.name, mode: 'exclusive' }];
  if (isWord(kind, 'FOREIGN')) {
    const referenced = referencedTable(statement);
    if (!referenced) return undefined;
    locks.push({ table: referenced, mode: 'exclusive' });
  } else if (!isWord(kind, 'PRIMARY', 'UNIQUE', 'CHECK', 'EXCLUDE')) return undefined;
  return { kind: 'parallel', label, locks };
}

/** The table after REFERENCES. */
function referencedTable(statement: Statement): string | undefined {
  const tokens = statement.tokens;
  const at = tokens.findIndex((t) => isWord(t, 'REFERENCES'));
  return at === -1 ? undefined : qualifiedTable(tokens, at + 1)?.name;
}

/** `SELECT pg_catalog.setval('seq', n, bool);` touches one sequence, no table. */
function setSequenceValue(tokens: Token[]): StatementPlan | undefined {
  if (!isWord(tokens[0], 'SELECT')) return undefined;
  const call = qualifiedCall(tokens, 1);
  if (call?.name !== 'pg_catalog.setval' || tokens.length > 12 || tokens[call.next]?.kind !== 'string')
    return undefined;
  return { kind: 'parallel', label: `setval ${tokens[call.next].text}`, locks: [] };
}

/** A schema-qualified table name: an unqualified one depends on search_path, which the plan does not follow. */
function qualifiedTable(tokens: Token[], index: number): { name: string; next: number } | undefined {
  const name = readQualifiedName(tokens, index);
  if (!name || name.parts.length !== 2) return undefined;
  return { name: name.parts.join('.'), next: name.next };
}

/** `schema.function (`: the name and the index after the parenthesis. */
function qualifiedCall(tokens: Token[], index: number): { name: string; next: number } | undefined {
  const name = readQualifiedName(tokens, index);
  if (!name || tokens[name.next]?.text !== '(') return undefined;
  return { name: name.parts.join('.'), next: name.next + 1 };
}

/** The key under which a COPY unit locks its table. */
export function tableKey(parts: string[]): string | undefined {
  return parts.length === 2 ? parts.join('.') : undefined;
}
