import { Context, log } from '@temporalio/activity';
import { createReadStream } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import type { BackupManifest, RestoreResult } from '../shared/activity-contract';
import { ErrorType } from '../shared/errors';
import type { ServiceConfig } from '../shared/node/topology';
import {
  assertCompleteDump,
  byteCounter,
  checkGzipHeader,
  GUNZIP_CHUNK_BYTES,
  READ_CHUNK_BYTES,
  unsafeBackupFailure,
} from './backup-integrity';
import { resolveBackupPath } from './backup-paths';
import type { ContainerClient } from './docker';
import { DumpReader, DumpRefusal, type DumpSummary, type MarkedOutput } from './dump-reader';
import { errorMessage, failure } from './errors';
import { UnitRouter } from './parallel-restore';
import {
  assertNotLiveDatabase,
  databaseExists,
  MAINTENANCE_DATABASE,
  type PasswordReader,
  type PostgresAccess,
} from './postgres';
import { containerPsqlVersion, hostPsqlVersion, startContainerPsql, startHostPsql } from './psql-process';
import {
  dropRestoreTarget,
  newRestrictKey,
  prepareConfinedTarget,
  psqlSupportsRestrict,
  reopenConfinedTarget,
  sealRestoredDatabase,
  type RestoreRole,
} from './restore-confinement';
import {
  copyFailure,
  explainFailure,
  safeMessage,
  sqlFailureType,
  type RestoreFailureContext,
} from './restore-failures';
import { CopyChannel } from './copy-channel';
import { ASYNC_COMMIT_SQL, ledgerSchema, readLedger, type LedgerIdentity } from './restore-ledger';
import { withRestoredDatabase } from './restored-database';
import { createProgressSignaller } from './progress-signal';
import { ProgressTracker } from './restore-progress';
import { RestoreRoleCreator } from './restore-roles';
import { restoreJobs } from './restore-jobs';
import { restoreApplicationName, ServerProgressReader, unitsProgress } from './restore-units-progress';
import { acknowledgementReader, UnitConnection } from './unit-connection';

export interface RestoreDependencies {
  containers: ContainerClient;
  postgres: PostgresAccess;
  readPassword: PasswordReader;
  /** Test seam: false lets the dump reader's refusals through, to show that confinement alone stops them. */
  enforceDumpPolicy?: boolean;
  /** Test seam: COPY rows per unit, in bytes; COPY_CUT_BYTES by default. */
  copyCutBytes?: number;
}

export interface RestoreRequest {
  service: string;
  config: ServiceConfig;
  file: string;
  targetDatabase: string;
  via?: 'container' | 'host';
  jobs?: number;
}

const HEARTBEAT_INTERVAL_MS = 2_000;
/** COPY rows per unit, in bytes of SQL: small enough to redo, large enough that commits cost nothing. */
export const COPY_CUT_BYTES = 8 * 1024 * 1024;
/** What a connection's input may hold before the reader waits: about one unit. */
const CONNECTION_BUFFER_BYTES = 8 * 1024 * 1024;

/**
 * gunzip -> dump reader -> `jobs` psql connections (-v ON_ERROR_STOP=1) into a side database: the schema first,
 * then COPY rows in parallel chunks, then indexes and keys beside each other (parallel-restore.ts). Every psql
 * runs confined: as `nobody` in the container, as an unprivileged role that owns only the side database, inside
 * psql's own `\restrict`. Ownership goes to the service's role afterwards. Each unit commits with its number in
 * the side database's ledger: a retry after a lost worker or a lost connection resumes after the units it
 * finds there. An SQL error, a refused dump or a cancellation drops the target and the role.
 */
export async function restoreBackup(deps: RestoreDependencies, request: RestoreRequest): Promise<RestoreResult> {
  const { service, config, file, targetDatabase } = request;
  const context = Context.current();
  assertNotLiveDatabase(service, config, targetDatabase, 'restore into');
  const filePath = await resolveBackupPath(config.backupDirectory, file);
  const sizeBytes = await checkGzipHeader(filePath, file);
  const progress = new ProgressTracker(sizeBytes);
  const startedAt = Date.now();
  const restrictKey = await chooseRestrictKey(deps, request);
  const jobs = await restoreJobs(deps.containers, config, request.jobs);
  const cutBytes = deps.copyCutBytes ?? COPY_CUT_BYTES;
  const identity: LedgerIdentity = { file, sizeBytes, cutBytes };
  const ledger = ledgerSchema(targetDatabase);
  const { role, superusers, committed, resumeNote } = await openTarget(deps, config, targetDatabase, identity, jobs);
  log.info('restore started', { service, file, targetDatabase, via: request.via ?? 'container', sizeBytes, jobs });
  if (resumeNote) log.info(resumeNote, { service, file, targetDatabase });

  const roles = new RestoreRoleCreator(deps.postgres, config, targetDatabase);
  const newRoles: string[] = [];
  const reader = new DumpReader({
    file,
    enforce: deps.enforceDumpPolicy ?? true,
    superusers,
    onRole: (name) => newRoles.push(name),
    copyCutBytes: cutBytes,
  });
  const failureContext: RestoreFailureContext = { file, targetDatabase, reader };
  const connections: UnitConnection[] = [];
  const router = { current: undefined as UnitRouter | undefined };
  // The service and file ride along so `opareta-dr status` can label the progress it reads from the server.
  const signalProgress = createProgressSignaller(context);
  const serverProgress = new ServerProgressReader(deps.postgres, config, targetDatabase);
  const beat = () => {
    const units = router.current ? unitsProgress(router.current, connections, jobs, serverProgress.poll()) : undefined;
    const update = { service, file, ...progress.snapshot(), ...(units ? { units } : {}) };
    context.heartbeat(update);
    signalProgress(update);
  };
  const heartbeat = setInterval(beat, HEARTBEAT_INTERVAL_MS);
  beat();
  const stopStreaming = new AbortController();
  const signal = AbortSignal.any([context.cancellationSignal, stopStreaming.signal]);
  const read = { summary: undefined as DumpSummary | undefined };
  let closing = false;
  try {
    const nonce = randomBytes(12).toString('hex');
    const units = new UnitRouter({
      connections,
      nonce,
      ledger,
      identity,
      committed,
      directCopy: true,
      copyFailure: (err, unit, endsBlock) => copyFailure(err, unit, endsBlock, failureContext),
    });
    router.current = units;
    // The connections start together: each is a `docker exec`, a few hundred milliseconds apiece.
    const starting = await Promise.allSettled(
      Array.from({ length: jobs }, (_, i) => startConnection(deps, request, role, i + 1, nonce, units, restrictKey)),
    );
    // Those that started are stopped with the rest if another could not start.
    connections.push(...starting.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : [])));
    const notStarted = starting.find((s) => s.status === 'rejected');
    if (notStarted) throw notStarted.reason;
    for (const connection of connections) {
      void connection.psql.exited.then(({ exitCode }) => {
        if (closing && exitCode === 0 && connection.inFlight.length === 0) return;
        units.scheduler.fail(new Error(`psql (connection ${connection.number}) exited with ${exitCode}`));
        stopStreaming.abort();
      });
    }
    await pipeline(
      createReadStream(filePath, { highWaterMark: READ_CHUNK_BYTES }),
      byteCounter((bytes) => progress.update(bytes)),
      createGunzip({ chunkSize: GUNZIP_CHUNK_BYTES }),
      readAndPrepare(reader, read, newRoles, roles),
      units.writable(),
      { signal },
    );
    closing = true;
    beat();
    await Promise.all(connections.map((c) => c.copy?.close()));
    for (const connection of connections) connection.end();
    const exits = await untilAborted(Promise.all(connections.map((c) => c.psql.exited)), context.cancellationSignal);
    const failed = exits.find((exit) => exit.exitCode !== 0);
    if (failed) throw new Error(`psql exited with ${failed.exitCode}`);
    const summary = read.summary!;
    assertCompleteDump(summary, file);
    await applyDeferred(deps, config, targetDatabase, role, summary.deferred);
    await sealRestoredDatabase(deps.postgres, config, role.name);
    const seconds = Math.round((Date.now() - startedAt) / 100) / 10;
    const resumedFrom = units.unitsSkipped > 0 ? units.lastSkipped : undefined;
    log.info('restore finished', {
      service,
      file,
      targetDatabase,
      seconds,
      jobs,
      units: units.scheduler.unitsDone,
      unitsSkipped: units.unitsSkipped,
      resumedFrom,
      slowestUnits: units.scheduler.slowest,
      tables: summary.tables.length,
      rolesCreated: roles.created,
      leftOut: summary.leftOut,
    });
    return {
      service,
      file,
      targetDatabase,
      bytesRead: progress.bytesDone,
      tables: summary.tables,
      seconds,
      manifest: manifestOf(service, file, sizeBytes, summary),
      jobs,
      units: units.scheduler.unitsDone,
      ...(resumedFrom ? { resumedFrom, unitsSkipped: units.unitsSkipped } : {}),
    };
  } catch (err) {
    stopStreaming.abort();
    const explained = await explainFailure(err, connections, failureContext);
    // Its locks on the roles it created must be gone before the cleanup may drop them.
    await roles.close();
    const cancelled = context.cancellationSignal.aborted;
    // A lost connection or a restarted server is retried, and the retry resumes from the ledger; whatever else
    // failed would fail again, so nothing of it is kept.
    const keepForResume =
      !cancelled &&
      !explained.nonRetryable &&
      explained.type === ErrorType.RestoreFailed &&
      router.current?.resumable === true;
    if (keepForResume) {
      await stopConnections(connections);
      log.warn('restore failed; side database kept for the retry to resume', { targetDatabase });
    } else {
      // Dropping WITH (FORCE) ends every psql session first; psql may have reconnected in between: drop again.
      await dropTarget(deps, config, targetDatabase);
      await stopConnections(connections);
      await dropTarget(deps, config, targetDatabase);
    }
    if (cancelled) {
      log.warn('restore cancelled; target dropped', { service, file, targetDatabase });
      await context.cancelled;
    }
    throw explained;
  } finally {
    clearInterval(heartbeat);
    await roles.close();
  }
}

/**
 * psql's `\restrict` with a random key: every meta-command after it is refused by psql itself, a second wall
 * behind the dump reader. A psql that does not know it (older than 15.14, 16.10, 17.6, 14.19, 13.22) is refused,
 * in the container as on the host: inside the container the local socket may trust every OS user, so running
 * psql as `nobody` is no barrier there.
 */
async function chooseRestrictKey(deps: RestoreDependencies, request: RestoreRequest): Promise<string> {
  const psqlVersion =
    request.via === 'host' ? await hostPsqlVersion() : await containerPsqlVersion(deps.containers, request.config);
  if (psqlSupportsRestrict(psqlVersion)) return newRestrictKey();
  const where = request.via === 'host' ? "the worker host's" : `the container ${request.config.databaseContainer}'s`;
  throw failure(
    ErrorType.ConfigError,
    `${where} ${psqlVersion} does not know \\restrict (15.14, 16.10, 17.6 or later): upgrade psql there` +
      (request.via === 'host' ? ' or restore via the container' : ''),
  );
}

/** What the reader held back to the end (FORCE ROW LEVEL SECURITY), as the restore role, in one transaction. */
async function applyDeferred(
  deps: RestoreDependencies,
  config: ServiceConfig,
  targetDatabase: string,
  role: RestoreRole,
  statements: string[],
): Promise<void> {
  if (statements.length === 0) return;
  await deps.postgres.withClient(
    config,
    targetDatabase,
    async (client) => {
      await client.query('BEGIN');
      for (const statement of statements) await client.query(statement);
      await client.query('COMMIT');
    },
    { user: role.name, password: role.password },
  );
}

/** A fresh side database, or the one a lost attempt left when its ledger says where to resume. */
async function openTarget(
  deps: RestoreDependencies,
  config: ServiceConfig,
  targetDatabase: string,
  identity: LedgerIdentity,
  jobs: number,
): Promise<{ role: RestoreRole; superusers: string[]; committed: Set<number>; resumeNote?: string }> {
  const exists = await deps.postgres.withClient(config, MAINTENANCE_DATABASE, (c) => databaseExists(c, targetDatabase));
  if (exists) {
    // Read as the side database's throwaway owner: the ledger's place may hold a view the backup put there.
    const state = await withRestoredDatabase(deps.postgres, config, targetDatabase, (c) =>
      readLedger(c, ledgerSchema(targetDatabase), identity),
    ).catch((err: unknown) => ({ resumable: false as const, reason: errorMessage(err) }));
    if (state.resumable) {
      const reopened = await reopenConfinedTarget(deps.postgres, config, targetDatabase, jobs);
      return {
        ...reopened,
        committed: state.committed,
        resumeNote: `resuming: ${state.committed.size} units already committed`,
      };
    }
    log.info('starting over: the side database left by an earlier attempt cannot be resumed', {
      targetDatabase,
      reason: state.reason,
    });
  }
  const fresh = await prepareConfinedTarget(deps.postgres, config, targetDatabase, jobs);
  return { ...fresh, committed: new Set() };
}

async function startConnection(
  deps: RestoreDependencies,
  request: RestoreRequest,
  role: RestoreRole,
  number: number,
  nonce: string,
  router: UnitRouter,
  restrictKey: string,
): Promise<UnitConnection> {
  const slot: { connection?: UnitConnection } = {};
  const acknowledgements = acknowledgementReader(nonce, (unit) => router.scheduler.acknowledge(slot.connection!, unit));
  const options = { stdout: acknowledgements, applicationName: restoreApplicationName(number) };
  const psql =
    request.via === 'host'
      ? startHostPsql(request.config, role, request.targetDatabase, options)
      : await startContainerPsql(deps.containers, request.config, request.targetDatabase, role, options);
  slot.connection = new UnitConnection(number, psql, CONNECTION_BUFFER_BYTES, () => router.scheduler.wake());
  // psql first reads the product's own `\restrict` line: every meta-command after it is refused.
  slot.connection.write(`\\restrict ${restrictKey}\n`);
  slot.connection.write(`SET maintenance_work_mem = '${request.config.restoreMaintenanceWorkMemMb ?? 512}MB';\n`);
  slot.connection.write(ASYNC_COMMIT_SQL);
  slot.connection.copy = await CopyChannel.open(
    request.config,
    role,
    request.targetDatabase,
    options.applicationName,
    CONNECTION_BUFFER_BYTES,
    () => router.scheduler.wake(),
  ).catch(async (err: unknown) => {
    await psql.stop();
    throw err;
  });
  return slot.connection;
}

/**
 * Reads each chunk before any psql sees it: refuses what a backup must not do, leaves out what the product does
 * itself, creates the roles the dump grants to; passes on the checked output with its boundaries.
 */
function readAndPrepare(
  reader: DumpReader,
  read: { summary?: DumpSummary },
  newRoles: string[],
  roles: RestoreRoleCreator,
): Transform {
  const passOn = (output: MarkedOutput, callback: (err?: Error | null, data?: MarkedOutput) => void) => {
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
  return new Transform({
    writableHighWaterMark: GUNZIP_CHUNK_BYTES * 4,
    readableObjectMode: true,
    readableHighWaterMark: 2,
    transform(chunk: Buffer, _encoding, callback) {
      let output: MarkedOutput;
      try {
        output = reader.pushMarked(chunk);
      } catch (err) {
        callback(err instanceof DumpRefusal ? unsafeBackupFailure(err) : (err as Error));
        return;
      }
      passOn(output, callback);
    },
    flush(callback) {
      try {
        const { tail, summary } = reader.finishMarked();
        read.summary = summary;
        passOn(tail, callback);
      } catch (err) {
        callback(err instanceof DumpRefusal ? unsafeBackupFailure(err) : (err as Error));
      }
    },
  });
}

function manifestOf(service: string, file: string, sizeBytes: number, summary: DumpSummary): BackupManifest {
  return {
    service,
    file,
    sizeBytes,
    uncompressedBytes: summary.uncompressedBytes,
    pgDumpVersion: summary.pgDumpVersion,
    serverVersion: summary.serverVersion,
    tables: summary.tables,
    roles: summary.roles,
  };
}

function untilAborted<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(new Error('cancelled'));
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(new Error('cancelled'));
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}

/** No psql may keep writing into the target once the restore has failed. */
async function stopConnections(connections: UnitConnection[]): Promise<void> {
  await Promise.all(connections.map((c) => c.copy?.close()));
  const stopped = await Promise.all(connections.map((c) => c.psql.stop()));
  if (stopped.some((s) => !s)) log.error('psql still running after the restore was stopped');
}

/**
 * Drops the half-restored target, the restore role and the roles created for its grants. Dropping WITH (FORCE)
 * ends every psql session first. What a lost worker leaves, the next attempt or the workflow's dropDatabase drops.
 */
async function dropTarget(deps: RestoreDependencies, config: ServiceConfig, targetDatabase: string): Promise<void> {
  try {
    await deps.postgres.withClient(config, MAINTENANCE_DATABASE, (client) => dropRestoreTarget(client, targetDatabase));
  } catch (err) {
    log.error('cleanup after a failed restore did not finish', { targetDatabase, error: errorMessage(err) });
  }
}
