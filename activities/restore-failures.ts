import { log } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import { ErrorType } from '../shared/errors';
import { gunzipFailure, isZlibError, unsafeBackupFailure } from './backup-integrity';
import { DumpRefusal, type DumpReader } from './dump-reader';
import { errorMessage, failure } from './errors';
import {
  connectionLines,
  isTransientSqlState,
  lastPsqlError,
  redactQuotedValues,
  redactStatement,
} from './psql-errors';
import { fileLineOf, type RunningUnit, type UnitConnection } from './unit-connection';

/** What the restore was doing, for the failure's first words. */
export interface RestoreFailureContext {
  file: string;
  targetDatabase: string;
  reader: DumpReader;
}

/**
 * psql's error with the file's line and the statement named, and whether another attempt could succeed: exit 3
 * (an SQL error under ON_ERROR_STOP) with a SQLSTATE outside the transient classes recurs, so it is a
 * non-retryable RestoreSqlError; a lost connection (exit 2), a killed psql or a transient SQLSTATE is retried.
 * The unit that failed is the oldest one its connection had not acknowledged; psql's line is mapped back to the
 * dump's through the unit's line ranges. Only the ERROR line enters the failure, its quoted values redacted
 * (psql-errors.ts); psql's whole output goes to the worker's log, where the SRE debugging the restore reads it.
 */
export async function psqlFailure(
  connection: UnitConnection,
  context: RestoreFailureContext,
  what: string,
): Promise<ApplicationFailure> {
  const { file, targetDatabase, reader } = context;
  const { exitCode, stderr } = await connection.psql.exited;
  log.warn("psql's error output (for the worker's log only)", {
    file,
    targetDatabase,
    connection: connection.number,
    exitCode,
    stderr,
  });
  const error = lastPsqlError(stderr);
  // psql runs its units in order; the one whose lines hold the error failed (its predecessors' acknowledgements
  // may not have been read before psql exited).
  const unit =
    (error && connection.inFlight.find((u) => fileLineOf(u, error.inputLine) !== undefined)) ?? connection.inFlight[0];
  const inUnit = unit && unit.label !== 'schema' ? ` (${unit.label})` : '';
  const prefix = `restore of ${file} into ${targetDatabase} failed${inUnit}: ${what}`;
  if (!error) return failure(ErrorType.RestoreFailed, `${prefix}: ${connectionLines(stderr)}`);
  const line = unit ? fileLineOf(unit, error.inputLine) : undefined;
  const statement = line === undefined ? undefined : reader.statementAt(line);
  // psql locates an error in COPY data at the block's `\.`; CONTEXT tells the row (and column) within the block.
  const block = unit?.cutChunk ? 'the rows of this part of the COPY block' : 'the COPY block ending there';
  const copy = error.copy
    ? `, data row ${error.copy.row}${error.copy.column ? ` column ${error.copy.column}` : ''} of ${block}`
    : '';
  const where =
    line === undefined
      ? "in the restore's own bookkeeping"
      : `line ${line}${statement ? ` (${redactStatement(statement)})` : ''}${copy}`;
  const sqlState = error.sqlState ? ` (SQLSTATE ${error.sqlState})` : '';
  // Exit 3 is an error of the script under ON_ERROR_STOP: the server's ERROR, or psql's own (a refused meta-command).
  const recurs =
    exitCode === 3 &&
    (error.severity === 'ERROR' || error.severity === 'error') &&
    !(error.sqlState && isTransientSqlState(error.sqlState));
  return failure(
    recurs ? ErrorType.RestoreSqlError : ErrorType.RestoreFailed,
    `${prefix}: ${where}: ${error.severity}: ${error.message}${sqlState}`,
  );
}

/**
 * A chunk the server refused on a COPY session, named like psql's errors: the dump's line (of the block's `\.`
 * when the chunk ends the block, as psql reports it, else of the row itself), the row and column from the
 * server's CONTEXT, the ERROR line with quoted values redacted, the SQLSTATE. A session lost is retryable.
 */
export function copyFailure(
  err: unknown,
  unit: RunningUnit,
  endsBlock: boolean,
  context: RestoreFailureContext,
): ApplicationFailure {
  const { file, targetDatabase, reader } = context;
  const prefix = `restore of ${file} into ${targetDatabase} failed (${unit.label})`;
  const { code, where } = err as { code?: string; where?: string };
  if (!code) return failure(ErrorType.RestoreFailed, `${prefix}: the COPY session was lost: ${safeMessage(err)}`);
  const data = unit.ranges[0];
  const position = /COPY [^,]*, line (\d+)(?:, column ([^:]+))?/.exec(where ?? '');
  const row = position ? Number(position[1]) : undefined;
  let located = '';
  if (data && row !== undefined) {
    const line = endsBlock ? data.fileLine + data.count - 1 : data.fileLine + row - 1;
    const statement = reader.statementAt(line);
    const block = endsBlock ? 'the COPY block ending there' : 'the rows of this part of the COPY block';
    const column = position?.[2] ? ` column ${position[2]}` : '';
    located = `line ${line}${statement ? ` (${redactStatement(statement)})` : ''}, data row ${row}${column} of ${block}: `;
  }
  log.warn("the server refused a COPY chunk (for the worker's log only)", {
    file,
    targetDatabase,
    error: errorMessage(err),
  });
  return failure(sqlFailureType(err), `${prefix}: ${located}ERROR: ${safeMessage(err)} (SQLSTATE ${code})`);
}

/** An error of node-postgres carries the server's SQLSTATE: one outside the transient classes recurs. */
export function sqlFailureType(err: unknown) {
  const code = (err as { code?: unknown }).code;
  const recurs = typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code) && !isTransientSqlState(code);
  return recurs ? ErrorType.RestoreSqlError : ErrorType.RestoreFailed;
}

/** An error's message with quoted values redacted: server errors may echo a value. */
export function safeMessage(err: unknown): string {
  return redactQuotedValues(errorMessage(err));
}

/**
 * The failure to report for whatever stopped the restore: our own failures as they are, a refusal or a broken
 * gzip stream as the backup's fault, else the first connection whose psql exited non-zero, else the error.
 */
export async function explainFailure(
  err: unknown,
  connections: UnitConnection[],
  context: RestoreFailureContext,
): Promise<ApplicationFailure> {
  if (err instanceof ApplicationFailure) return err;
  if (err instanceof DumpRefusal) return unsafeBackupFailure(err);
  if (isZlibError(err)) return gunzipFailure(err, context.file);
  const exits = await Promise.all(
    connections.map((c) =>
      Promise.race([c.psql.exited, new Promise<undefined>((r) => setTimeout(r, 2_000, undefined))]),
    ),
  );
  // An SQL error (exit 3) is the cause; the other connections' exits (their sessions ended) are its effect.
  const sqlError = exits.findIndex((exit) => exit?.exitCode === 3);
  const failed = sqlError !== -1 ? sqlError : exits.findIndex((exit) => exit && exit.exitCode !== 0);
  if (failed !== -1) return psqlFailure(connections[failed], context, `psql exited with ${exits[failed]!.exitCode}`);
  log.warn('restore failed', { file: context.file, targetDatabase: context.targetDatabase, error: errorMessage(err) });
  // No cause attached: its message is the unredacted one.
  return failure(
    sqlFailureType(err),
    `restore of ${context.file} into ${context.targetDatabase} failed: ${safeMessage(err)}`,
  );
}
