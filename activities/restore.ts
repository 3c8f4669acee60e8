import { Context, log } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import { createReadStream } from 'node:fs';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import type { RestoreResult } from '../shared/activity-contract';
import { ErrorType } from '../shared/errors';
import type { ServiceConfig } from '../shared/topology';
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
  dropRestoreRole,
  handOverOwnership,
  newRestrictKey,
  prepareConfinedTarget,
  psqlSupportsRestrict,
  type RestoreRole,
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
  const roles = new RestoreRoleCreator(deps.postgres, config);
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
    await cleanUp(deps, config, targetDatabase, role, psql);
    if (context.cancellationSignal.aborted) {
      log.warn('restore cancelled; target dropped', { service, file, targetDatabase });
      await context.cancelled;
    }
    throw await explainFailure(err, psql, reader, restrictKey, file, targetDatabase);
  } finally {
    clearInterval(heartbeat);
    roles.close();
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
        callback(
          failure(ErrorType.RestoreFailed, `cannot create roles ${pending.join(', ')}: ${errorMessage(err)}`, err),
        ),
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

/** Stops psql (no psql may keep writing into the target), drops the half-restored target and the restore role. */
async function cleanUp(
  deps: RestoreDependencies,
  config: ServiceConfig,
  targetDatabase: string,
  role: RestoreRole,
  psql: PsqlProcess | undefined,
): Promise<void> {
  try {
    // Dropping WITH (FORCE) ends psql's session first, so a psql inside the container stops at once.
    await deps.postgres.withClient(config, MAINTENANCE_DATABASE, (client) => dropDatabase(client, targetDatabase));
    const stopped = psql ? await psql.stop() : true;
    if (!stopped) log.error('psql still running after the restore was stopped', { targetDatabase });
    // psql may have reconnected in between: drop again, now that it is gone.
    await deps.postgres.withClient(config, MAINTENANCE_DATABASE, (client) => dropDatabase(client, targetDatabase));
    await dropRestoreRole(deps.postgres, config, role.name);
  } catch (err) {
    log.error('cleanup after a failed restore did not finish', { targetDatabase, error: errorMessage(err) });
  }
}

const PSQL_ERROR = /^psql:<stdin>:(\d+): (?:ERROR|FATAL):\s+(.*)$/;

/**
 * psql's error with the file's line and the statement named. Only the ERROR line is kept: DETAIL lines may
 * quote row values (keys, tokens) that must not reach the workflow history.
 */
async function psqlFailure(
  psql: PsqlProcess,
  reader: DumpReader,
  restrictKey: string | undefined,
  file: string,
  targetDatabase: string,
  what: string,
) {
  const { stderr } = await psql.exited;
  const lines = stderr.trim().split('\n');
  const located = lines
    .map((l) => PSQL_ERROR.exec(l))
    .filter((m) => m !== null)
    .pop();
  let detail: string;
  if (located) {
    const line = Number(located[1]) - (restrictKey ? 1 : 0);
    const statement = reader.statementAt(line);
    detail = `line ${line}${statement ? ` (${statement})` : ''}: ERROR: ${located[2]}`;
  } else {
    detail = lines
      .filter((l) => !/^\s*(DETAIL|CONTEXT|HINT):/.test(l))
      .slice(-2)
      .join(' | ');
  }
  return failure(ErrorType.RestoreFailed, `restore of ${file} into ${targetDatabase} failed: ${what}: ${detail}`);
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
  return failure(
    ErrorType.RestoreFailed,
    `restore of ${file} into ${targetDatabase} failed: ${errorMessage(err)}`,
    err,
  );
}
