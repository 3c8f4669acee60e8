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
} from './backup-integrity';
import { resolveBackupPath } from './backup-paths';
import type { ContainerClient } from './docker';
import { DumpScanner } from './dump-scanner';
import { errorMessage, failure } from './errors';
import {
  assertNotLiveDatabase,
  createDatabase,
  dropDatabase,
  MAINTENANCE_DATABASE,
  type PasswordReader,
  type PostgresAccess,
} from './postgres';
import { startContainerPsql, startHostPsql, type PsqlProcess } from './psql-process';
import { createProgressSignaller } from './progress-signal';
import { ProgressTracker } from './restore-progress';
import { RestoreRoleCreator } from './restore-roles';

export interface RestoreDependencies {
  containers: ContainerClient;
  postgres: PostgresAccess;
  readPassword: PasswordReader;
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
 * gunzip -> psql -v ON_ERROR_STOP=1 into a freshly created side database, counting each COPY block's rows on
 * the way. On failure or cancellation psql is stopped and the target dropped, so a retry starts clean.
 */
export async function restoreBackup(deps: RestoreDependencies, request: RestoreRequest): Promise<RestoreResult> {
  const { service, config, file, targetDatabase } = request;
  const context = Context.current();
  assertNotLiveDatabase(service, config, targetDatabase, 'restore into');
  const filePath = await resolveBackupPath(config.backupDirectory, file);
  const sizeBytes = await checkGzipHeader(filePath, file);
  const progress = new ProgressTracker(sizeBytes);
  const startedAt = Date.now();

  await recreateDatabase(deps.postgres, config, targetDatabase);
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
  const scanner = new DumpScanner((role) => newRoles.push(role));
  try {
    psql =
      request.via === 'host'
        ? startHostPsql(config, deps.readPassword(config), targetDatabase)
        : await startContainerPsql(deps.containers, config, targetDatabase);
    const streaming = pipeline(
      createReadStream(filePath, { highWaterMark: READ_CHUNK_BYTES }),
      byteCounter((read) => progress.update(read)),
      createGunzip({ chunkSize: GUNZIP_CHUNK_BYTES }),
      scanAndPrepare(scanner, newRoles, roles, file),
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
      throw await psqlFailure(psql, file, targetDatabase, 'psql stopped before the whole dump was read');
    }
    const { exitCode } = await untilAborted(psql.exited, context.cancellationSignal);
    if (exitCode !== 0) throw await psqlFailure(psql, file, targetDatabase, `psql exited with ${exitCode}`);
    const summary = scanner.finish();
    assertCompleteDump(summary, file);
    const seconds = Math.round((Date.now() - startedAt) / 100) / 10;
    log.info('restore finished', {
      service,
      file,
      targetDatabase,
      seconds,
      tables: summary.tables.length,
      rolesCreated: roles.created,
    });
    return { service, file, targetDatabase, bytesRead: progress.bytesDone, tables: summary.tables, seconds };
  } catch (err) {
    stopStreaming.abort();
    await cleanUp(deps, config, targetDatabase, psql);
    if (context.cancellationSignal.aborted) {
      log.warn('restore cancelled; target dropped', { service, file, targetDatabase });
      await context.cancelled;
    }
    throw await explainFailure(err, psql, file, targetDatabase);
  } finally {
    clearInterval(heartbeat);
    roles.close();
  }
}

async function recreateDatabase(postgres: PostgresAccess, config: ServiceConfig, name: string): Promise<void> {
  await postgres.withClient(config, MAINTENANCE_DATABASE, async (client) => {
    // A previous attempt may have left a half-restored database: start from nothing.
    await dropDatabase(client, name);
    await createDatabase(client, name, config.user);
  });
}

/** Parses each chunk before psql sees it: creates the roles it names, refuses `\connect`. */
function scanAndPrepare(scanner: DumpScanner, newRoles: string[], roles: RestoreRoleCreator, file: string): Transform {
  return new Transform({
    readableHighWaterMark: GUNZIP_CHUNK_BYTES * 4,
    writableHighWaterMark: GUNZIP_CHUNK_BYTES * 4,
    transform(chunk: Buffer, _encoding, callback) {
      scanner.push(chunk);
      if (scanner.unsafeMetaCommand) {
        callback(
          failure(
            ErrorType.InvalidInput,
            `backup ${file} contains the psql command "${scanner.unsafeMetaCommand}" (a pg_dump -C dump?): ` +
              'restoring it could write outside the target database',
          ),
        );
        return;
      }
      if (newRoles.length === 0) {
        callback(null, chunk);
        return;
      }
      const pending = newRoles.splice(0);
      roles.ensure(pending).then(
        (created) => {
          if (created.length > 0) log.info('created missing roles NOLOGIN before restoring', { roles: created });
          callback(null, chunk);
        },
        (err: unknown) =>
          callback(
            failure(ErrorType.RestoreFailed, `cannot create roles ${pending.join(', ')}: ${errorMessage(err)}`, err),
          ),
      );
    },
  });
}

function untilAborted<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(new Error('cancelled'));
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(new Error('cancelled'));
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}

/** Stops psql (no psql may keep writing into the target) and drops the half-restored target. */
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
    await deps.postgres.withClient(config, MAINTENANCE_DATABASE, (client) => dropDatabase(client, targetDatabase));
  } catch (err) {
    log.error('cleanup after a failed restore did not finish', { targetDatabase, error: errorMessage(err) });
  }
}

async function psqlFailure(psql: PsqlProcess, file: string, targetDatabase: string, what: string) {
  const { stderr } = await psql.exited;
  const detail = stderr.trim().split('\n').slice(-5).join(' | ');
  return failure(ErrorType.RestoreFailed, `restore of ${file} into ${targetDatabase} failed: ${what}: ${detail}`);
}

async function explainFailure(err: unknown, psql: PsqlProcess | undefined, file: string, targetDatabase: string) {
  if (err instanceof ApplicationFailure) return err;
  if (isZlibError(err)) return gunzipFailure(err, file);
  if (psql) {
    const exited = await Promise.race([psql.exited, new Promise<undefined>((r) => setTimeout(r, 2_000, undefined))]);
    if (exited && exited.exitCode !== 0)
      return psqlFailure(psql, file, targetDatabase, `psql exited with ${exited.exitCode}`);
  }
  return failure(
    ErrorType.RestoreFailed,
    `restore of ${file} into ${targetDatabase} failed: ${errorMessage(err)}`,
    err,
  );
}
