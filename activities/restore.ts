import { Context, log } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import { createReadStream } from 'node:fs';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import type { RestoreResult } from '../shared/activity-contract';
import { ErrorType } from '../shared/errors';
import type { ServiceConfig } from '../shared/node/topology';
import {
  assertCompleteDump,
  byteCounter,
  checkGzipHeader,
  GUNZIP_CHUNK_BYTES,
  gunzipFailure,
  isZlibError,
  READ_CHUNK_BYTES,
  unsafeBackupFailure,
} from './backup-integrity';
import { resolveBackupPath } from './backup-paths';
import type { ContainerClient } from './docker';
import { DumpReader, DumpRefusal, type DumpSummary } from './dump-reader';
import { errorMessage, failure } from './errors';
import {
  assertNotLiveDatabase,
  dropDatabase,
  MAINTENANCE_DATABASE,
  type PasswordReader,
  type PostgresAccess,
} from './postgres';
import {
  containerPsqlVersion,
  hostPsqlVersion,
  startContainerPsql,
  startHostPsql,
  type PsqlProcess,
} from './psql-process';
import {
  connectionLines,
  isTransientSqlState,
  lastPsqlError,
  redactQuotedValues,
  redactStatement,
} from './psql-errors';
import {
  dropRestoreTarget,
  handOverOwnership,
  newRestrictKey,
  prepareConfinedTarget,
  psqlSupportsRestrict,
} from './restore-confinement';
import { createProgressSignaller } from './progress-signal';
import { ProgressTracker } from './restore-progress';
import { RestoreRoleCreator } from './restore-roles';

export interface RestoreDependencies {
  containers: ContainerClient;
  postgres: PostgresAccess;
  readPassword: PasswordReader;
  /** Test seam: false lets the dump reader's refusals through, to show that confinement alone stops them. */
  enforceDumpPolicy?: boolean;
}

export interface RestoreRequest {
  service: string;
  config: ServiceConfig;
  file: string;
  targetDatabase: string;
  via?: 'container' | 'host';
}

const HEARTBEAT_INTERVAL_MS = 2_000;

/**
 * gunzip -> dump reader -> psql -v ON_ERROR_STOP=1 into a freshly created side database. psql runs confined:
 * as `nobody` in the container, as an unprivileged role that owns only the side database, inside psql's own
 * `\restrict`. Ownership goes to the service's role afterwards. On failure or cancellation psql is stopped,
 * the target and the role dropped, so a retry starts clean.
 */
export async function restoreBackup(deps: RestoreDependencies, request: RestoreRequest): Promise<RestoreResult> {
  const { service, config, file, targetDatabase } = request;
  const context = Context.current();
  assertNotLiveDatabase(service, config, targetDatabase, 'restore into');
  const filePath = await resolveBackupPath(config.backupDirectory, file);
  const sizeBytes = await checkGzipHeader(filePath, file);
  const progress = new ProgressTracker(sizeBytes);
  const startedAt = Date.now();

  const psqlVersion =
    request.via === 'host' ? await hostPsqlVersion() : await containerPsqlVersion(deps.containers, config);
  const restrictKey = psqlSupportsRestrict(psqlVersion) ? newRestrictKey() : undefined;
  if (!restrictKey) {
    // In the container a missed meta-command would still run as `nobody` there; on the worker's host it must not run.
    if (request.via === 'host') {
      throw failure(
        ErrorType.ConfigError,
        `the worker host's ${psqlVersion} does not know \\restrict (15.14, 16.10, 17.6 or later): restore via the container or upgrade psql`,
      );
    }
    log.warn("the container's psql does not know \\restrict; relying on the dump reader and nobody", { psqlVersion });
  }
  const { role, superusers } = await prepareConfinedTarget(deps.postgres, config, targetDatabase);
  log.info('restore started', { service, file, targetDatabase, via: request.via ?? 'container', sizeBytes });

  // The service and file ride along so `opareta-dr status` can label the progress it reads from the server.
  const signalProgress = createProgressSignaller(context);
  const beat = () => {
    const update = { service, file, ...progress.snapshot() };
    context.heartbeat(update);
    signalProgress(update);
  };
  const heartbeat = setInterval(beat, HEARTBEAT_INTERVAL_MS);
  beat();
  const roles = new RestoreRoleCreator(deps.postgres, config, targetDatabase);
  const stopStreaming = new AbortController();
  const signal = AbortSignal.any([context.cancellationSignal, stopStreaming.signal]);
  let psql: PsqlProcess | undefined;
  const newRoles: string[] = [];
  const reader = new DumpReader({
    file,
    enforce: deps.enforceDumpPolicy ?? true,
    superusers,
    onRole: (name) => newRoles.push(name),
  });
  const read = { summary: undefined as DumpSummary | undefined };
  try {
    psql =
      request.via === 'host'
        ? startHostPsql(config, role, targetDatabase)
        : await startContainerPsql(deps.containers, config, targetDatabase, role);
    const streaming = pipeline(
      createReadStream(filePath, { highWaterMark: READ_CHUNK_BYTES }),
      byteCounter((bytes) => progress.update(bytes)),
      createGunzip({ chunkSize: GUNZIP_CHUNK_BYTES }),
      readAndPrepare(reader, read, newRoles, roles, restrictKey),
      psql.input,
      { signal },
    );
    const first = await Promise.race([
      streaming.then(() => 'streamed' as const),
      psql.exited.then(() => 'exited' as const),
    ]);
    if (first === 'exited') {
      stopStreaming.abort();
      await streaming.catch(() => undefined);
      throw await psqlFailure(
        psql,
        reader,
        restrictKey,
        file,
        targetDatabase,
        'psql stopped before the whole dump was read',
      );
    }
    const { exitCode } = await untilAborted(psql.exited, context.cancellationSignal);
    if (exitCode !== 0) {
      throw await psqlFailure(psql, reader, restrictKey, file, targetDatabase, `psql exited with ${exitCode}`);
    }
    const summary = read.summary!;
    assertCompleteDump(summary, file);
    await handOverOwnership(deps.postgres, config, targetDatabase, role.name);
    const seconds = Math.round((Date.now() - startedAt) / 100) / 10;
    log.info('restore finished', {
      service,
      file,
      targetDatabase,
      seconds,
      tables: summary.tables.length,
      rolesCreated: roles.created,
      leftOut: summary.leftOut,
    });
    return { service, file, targetDatabase, bytesRead: progress.bytesDone, tables: summary.tables, seconds };
  } catch (err) {
    stopStreaming.abort();
    // Its locks on the roles it created must be gone before the cleanup may drop them.
    await roles.close();
    await cleanUp(deps, config, targetDatabase, psql);
    if (context.cancellationSignal.aborted) {
      log.warn('restore cancelled; target dropped', { service, file, targetDatabase });
      await context.cancelled;
    }
    throw await explainFailure(err, psql, reader, restrictKey, file, targetDatabase);
  } finally {
    clearInterval(heartbeat);
    await roles.close();
  }
}

/**
 * Reads each chunk before psql sees it: refuses what a backup must not do, leaves out what the product does
 * itself, creates the roles the dump grants to. psql first reads the product's own `\restrict` line.
 */
function readAndPrepare(
  reader: DumpReader,
  read: { summary?: DumpSummary },
  newRoles: string[],
  roles: RestoreRoleCreator,
  restrictKey: string | undefined,
): Transform {
  const passOn = (output: Buffer, callback: (err?: Error | null, data?: Buffer) => void) => {
    if (newRoles.length === 0) {
      callback(null, output);
      return;
    }
    const pending = newRoles.splice(0);
    roles.ensure(pending).then(
      (created) => {
        if (created.length > 0) log.info('created missing roles NOLOGIN before restoring', { roles: created });
        callback(null, output);
      },
      (err: unknown) =>
        callback(failure(sqlFailureType(err), `cannot create roles ${pending.join(', ')}: ${safeMessage(err)}`)),
    );
  };
  const transform = new Transform({
    readableHighWaterMark: GUNZIP_CHUNK_BYTES * 4,
    writableHighWaterMark: GUNZIP_CHUNK_BYTES * 4,
    transform(chunk: Buffer, _encoding, callback) {
      let output: Buffer;
      try {
        output = reader.push(chunk);
      } catch (err) {
        callback(err instanceof DumpRefusal ? unsafeBackupFailure(err) : (err as Error));
        return;
      }
      passOn(output, callback);
    },
    flush(callback) {
      try {
        const { tail, summary } = reader.finish();
        read.summary = summary;
        passOn(tail, callback);
      } catch (err) {
        callback(err instanceof DumpRefusal ? unsafeBackupFailure(err) : (err as Error));
      }
    },
  });
  if (restrictKey) transform.push(`\\restrict ${restrictKey}\n`);
  return transform;
}

function untilAborted<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(new Error('cancelled'));
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(new Error('cancelled'));
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}

/**
 * Stops psql (no psql may keep writing into the target), drops the half-restored target, the restore role and the
 * roles created for its grants. What a lost worker leaves, the next attempt or the workflow's dropDatabase drops.
 */
async function cleanUp(
  deps: RestoreDependencies,
  config: ServiceConfig,
  targetDatabase: string,
  psql: PsqlProcess | undefined,
): Promise<void> {
  try {
    // Dropping WITH (FORCE) ends psql's session first, so a psql inside the container stops at once.
    await deps.postgres.withClient(config, MAINTENANCE_DATABASE, (client) => dropDatabase(client, targetDatabase));
    const stopped = psql ? await psql.stop() : true;
    if (!stopped) log.error('psql still running after the restore was stopped', { targetDatabase });
    // psql may have reconnected in between: drop again, now that it is gone.
    await deps.postgres.withClient(config, MAINTENANCE_DATABASE, (client) => dropRestoreTarget(client, targetDatabase));
  } catch (err) {
    log.error('cleanup after a failed restore did not finish', { targetDatabase, error: errorMessage(err) });
  }
}

/**
 * psql's error with the file's line and the statement named, and whether another attempt could succeed: exit 3
 * (an SQL error under ON_ERROR_STOP) with a SQLSTATE outside the transient classes recurs, so it is a
 * non-retryable RestoreSqlError; a lost connection (exit 2), a killed psql or a transient SQLSTATE is retried.
 * Only the ERROR line enters the failure, its quoted values redacted (psql-errors.ts); psql's whole output goes to
 * the worker's log, where the SRE debugging the restore reads it.
 */
async function psqlFailure(
  psql: PsqlProcess,
  reader: DumpReader,
  restrictKey: string | undefined,
  file: string,
  targetDatabase: string,
  what: string,
) {
  const { exitCode, stderr } = await psql.exited;
  log.warn("psql's error output (for the worker's log only)", { file, targetDatabase, exitCode, stderr });
  const prefix = `restore of ${file} into ${targetDatabase} failed: ${what}`;
  const error = lastPsqlError(stderr);
  if (!error) return failure(ErrorType.RestoreFailed, `${prefix}: ${connectionLines(stderr)}`);
  const line = error.inputLine - (restrictKey ? 1 : 0);
  const statement = reader.statementAt(line);
  // psql locates an error in COPY data at the block's `\.`; CONTEXT tells the row (and column) within the block.
  const copy = error.copy
    ? `, data row ${error.copy.row}${error.copy.column ? ` column ${error.copy.column}` : ''} of the COPY block ending there`
    : '';
  const where = `line ${line}${statement ? ` (${redactStatement(statement)})` : ''}${copy}`;
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

/** An error of node-postgres carries the server's SQLSTATE: one outside the transient classes recurs. */
function sqlFailureType(err: unknown) {
  const code = (err as { code?: unknown }).code;
  const recurs = typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code) && !isTransientSqlState(code);
  return recurs ? ErrorType.RestoreSqlError : ErrorType.RestoreFailed;
}

/** An error's message with quoted values redacted: server errors may echo a value. */
function safeMessage(err: unknown): string {
  return redactQuotedValues(errorMessage(err));
}

async function explainFailure(
  err: unknown,
  psql: PsqlProcess | undefined,
  reader: DumpReader,
  restrictKey: string | undefined,
  file: string,
  targetDatabase: string,
) {
  if (err instanceof ApplicationFailure) return err;
  if (err instanceof DumpRefusal) return unsafeBackupFailure(err);
  if (isZlibError(err)) return gunzipFailure(err, file);
  if (psql) {
    const exited = await Promise.race([psql.exited, new Promise<undefined>((r) => setTimeout(r, 2_000, undefined))]);
    if (exited && exited.exitCode !== 0) {
      return psqlFailure(psql, reader, restrictKey, file, targetDatabase, `psql exited with ${exited.exitCode}`);
    }
  }
  log.warn('restore failed', { file, targetDatabase, error: errorMessage(err) });
  // No cause attached: its message is the unredacted one.
  return failure(sqlFailureType(err), `restore of ${file} into ${targetDatabase} failed: ${safeMessage(err)}`);
}
