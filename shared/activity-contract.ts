/**
 * The contract between workflows and activities. Workflows import these types only; activities/index.ts
 * implements them. Inputs carry service names, file names and database names, never passwords, paths
 * outside the backup directory or container names: activities look those up in the worker's topology.
 */

export interface BackupInfo {
  service: string;
  /** The file name inside the service's backup directory, e.g. hermes_20231201_020000.sql.gz. */
  file: string;
  sizeBytes: number;
  /** The time in the file name, ISO 8601 UTC. */
  takenAt: string;
  ageHours: number;
}

export interface BackupCatalog {
  service: string;
  /** The worker's backup directory of the service, where these files were read. */
  directory: string;
  backups: BackupInfo[]; // newest first
  /** Files that look like this service's backups but do not follow the naming convention. */
  malformed: string[];
}

export type BackupSelector =
  | { kind: 'latest' }
  | { kind: 'file'; file: string }
  | { kind: 'before'; before: string }
  | { kind: 'previous'; file: string };

export interface TableCount {
  table: string; // schema-qualified, e.g. public.users
  rows: number;
  /** Set when `rows` is the catalog's estimate, not a count: a live snapshot of a large table. */
  estimated?: true;
}

export interface BackupManifest {
  service: string;
  file: string;
  sizeBytes: number;
  uncompressedBytes: number;
  pgDumpVersion?: string;
  serverVersion?: string;
  tables: TableCount[];
  roles: string[];
}

export interface DatabaseSnapshot {
  database: string;
  exists: boolean;
  serverVersion?: string;
  sizeBytes?: number;
  tables: TableCount[];
  takenAt: string;
}

export interface RestoreResult {
  service: string;
  file: string;
  targetDatabase: string;
  bytesRead: number;
  tables: TableCount[];
  seconds: number;
  /**
   * What verifyBackup would have read from the same file, read in the restore's own pass (one read of the
   * backup): set when the whole stream was read, checked and restored.
   */
  manifest?: BackupManifest;
  /** Connections the restore used (1: the serial psql stream). */
  jobs?: number;
  /** Units committed by this attempt (schema, COPY chunks, post-data steps). */
  units?: number;
  /** Set when this attempt resumed a restore a lost attempt had started: the last unit it found committed. */
  resumedFrom?: string;
  /** Units a resumed attempt found committed and did not load again. */
  unitsSkipped?: number;
}

/** One unit of a parallel restore on its connection now. */
export interface RestoreUnitInFlight {
  /** `schema`, `public.events rows #3`, `CREATE INDEX events_created_at_idx` */
  label: string;
  /** 1-based connection number. */
  connection: number;
  /** Seconds since the unit was handed to its connection. */
  seconds: number;
  /** Bytes of SQL sent to the connection for this unit so far. */
  bytesSent: number;
  /** The server's own progress of the unit (pg_stat_progress_copy, pg_stat_progress_create_index), 0-100. */
  percent?: number;
  /** Seconds left at the unit's rate so far, when its progress is known. */
  etaSeconds?: number;
}

/** Where a parallel restore stands, unit by unit. */
export interface RestoreUnitsProgress {
  jobs: number;
  busyConnections: number;
  unitsDone: number;
  unitsSkipped: number;
  inFlight: RestoreUnitInFlight[];
  resumedFrom?: string;
}

export interface RestoreProgress {
  bytesDone: number;
  bytesTotal: number;
  percent: number;
  bytesPerSecond: number;
  etaSeconds?: number;
  /** Per-unit view of a parallel restore (absent for a serial one and in histories from before it). */
  units?: RestoreUnitsProgress;
}

/** The signal a running restore sends to its workflow (see workflows/definitions.ts). */
export const RESTORE_PROGRESS_SIGNAL = 'restoreProgress';

/** What the restore activity signals at milestones and heartbeats all along (its heartbeat details). */
export interface RestoreProgressUpdate extends RestoreProgress {
  service: string;
  file: string;
}

export interface CheckResult {
  name: string;
  passed: boolean;
  detail: string;
}

export interface VerificationReport {
  database: string;
  passed: boolean;
  checks: CheckResult[];
}

export interface ContainerState {
  name: string;
  /** created | running | paused | restarting | removing | exited | dead | missing */
  state: string;
  status: string;
  health?: string;
}

export interface LogReview {
  container: string;
  linesRead: number;
  /** Lines that look like database connection errors. */
  errorLines: string[];
}

export interface EndpointHealth {
  url: string;
  healthy: boolean;
  status?: number;
  error?: string;
}

export interface HealthReport {
  healthy: boolean;
  endpoints: EndpointHealth[];
}

export interface ServiceDescription {
  service: string;
  database: string;
  databaseContainer: string;
  /** The service's database role, for the commands a workflow prints when a step must be finished by hand. */
  user: string;
  appContainers: string[];
  healthUrls: string[];
  rtoMinutes: number;
  rpoHours: number;
  sandbox: boolean;
  retention: { keepNewest: number; keepDays: number };
  /** The warm standby's config (absent from workers older than it: no standby). */
  standby?: { enabled: boolean; minFreeDiskMb: number };
}

/**
 * What a warm standby came from, recorded in the database server itself: the JSON comment of the standby
 * database (COMMENT ON DATABASE), so it is renamed and dropped with the database and never outlives it.
 */
export interface StandbyRecord {
  service: string;
  /** The name it was kept under: a standby renamed by hand no longer matches and is not used. */
  database: string;
  backupFile: string;
  backupTakenAt: string;
  /** The backup's manifest as the drill's restore read it: a restore from the standby plans with it. */
  manifest: BackupManifest;
  /** When the drill's verification of it passed, ISO 8601. */
  verifiedAt: string;
  /** The drill's verification checks, shown in place of a verification the restore does not redo. */
  checks: CheckResult[];
  /** schemaFingerprint of the live database when the standby was kept. */
  liveSchemaFingerprint: string;
  drillWorkflowId: string;
}

/** A `<db>_standby_<stamp>` database; `record` is unset when its comment is missing or unreadable. */
export interface StandbyDatabase {
  database: string;
  sizeBytes: number;
  record?: StandbyRecord;
  /** ALLOW_CONNECTIONS false: nobody can change it while it waits. */
  locked: boolean;
}

/** A copy a restore kept beside the live database: the old live one, or a restored one that was swapped back. */
export interface RestoreCopy {
  database: string;
  kind: 'pre-restore' | 'failed-restore';
  /** When the restore that made it started (from the name's stamp), ISO 8601. */
  madeAt: string;
  sizeBytes: number;
}

export type Notification =
  | {
      kind: 'restore-planned';
      workflowId: string;
      services: string[];
      backups: string[];
      expectedDowntimeSeconds: number;
      mode: string;
    }
  | { kind: 'restore-outcome'; workflowId: string; services: string[]; outcome: string; detail: string }
  | { kind: 'drill-failed'; workflowId: string; services: string[]; detail: string }
  | { kind: 'manual-repair-needed'; workflowId: string; services: string[]; detail: string; steps: string[] };

/** The four names a swap works with, `<db>` and its `_restore_`, `_pre_restore_`, `_failed_restore_` copies. */
export interface SwapDatabaseNames {
  live: string;
  side: string;
  preRestore: string;
  failedRestore: string;
}

/** Which of a swap's names exist on the server. */
export type SwapNamesState = Record<keyof SwapDatabaseNames, boolean>;

export interface TableRowChange {
  table: string;
  expectedRows: number;
  rows: number;
}

/** The deployment's approval rule (config `approval`). */
export interface ApprovalRule {
  required: boolean;
  distinctApprovers: boolean;
}

/** An approve/reject request in the workflow's own history: an update by its ID, or the n-th signal of a name. */
export type ApprovalRequestRef = { kind: 'update'; updateId: string } | { kind: 'signal'; name: string; index: number };

/** Client identities from the workflow's own history. */
export interface RequestIdentities {
  startedBy?: string;
  requestedBy?: string;
}

/** Where each service's host-bound steps run (shared/node/topology.ts `workerHost`). */
export interface ServiceHosts {
  /** Service name to host name, for the services placed on a host; the others run on the orchestration queue. */
  hosts: Record<string, string>;
  /** How long a step waits for a worker on its host before it fails with that reason. */
  hostWaitMinutes: number;
}

/**
 * Activities that need no host's files, Docker socket or database: any worker of the orchestration queue
 * (`opareta-dr`) runs them, whatever host it is on. Every other activity takes `{ service, ... }` and runs on
 * that service's host (workflows/host-routing.ts, worker/host-activities.ts).
 */
export const RUN_ANYWHERE_ACTIVITIES = [
  'describeService',
  'listServices',
  'serviceHosts',
  'lastPassedDrill',
  'waitForHealth',
  'notify',
  'approvalRule',
  'approvalIdentities',
] as const satisfies readonly (keyof DrActivities)[];

export interface DrActivities {
  describeService(input: { service: string }): Promise<ServiceDescription>;
  listServices(): Promise<string[]>;
  serviceHosts(): Promise<ServiceHosts>;

  listBackups(input: { service: string }): Promise<BackupCatalog>;
  selectBackup(input: { service: string; selector: BackupSelector }): Promise<BackupInfo>;
  /** Reads the whole gzip stream; throws BackupNotGzip/Empty/Corrupt/Truncated/Incomplete (non-retryable). */
  verifyBackup(input: { service: string; file: string }): Promise<BackupManifest>;

  checkConnectivity(input: { service: string; database?: string }): Promise<{ serverVersion: string }>;
  /**
   * Tables and row counts of a (live) database: exact within the worker's count budget, estimated beyond it
   * (`estimated: true`); heartbeats per table.
   */
  snapshotDatabase(input: { service: string; database?: string }): Promise<DatabaseSnapshot>;
  terminateBackends(input: { service: string; database: string }): Promise<number>;
  /**
   * Drops a non-live database if it exists, with the restore role named after it and the roles created for its
   * grants that nothing needs any more. Refuses the live name with RefuseLiveDatabase.
   */
  dropDatabase(input: { service: string; database: string }): Promise<void>;
  /** Idempotent: when `from` is gone and `to` exists, it was already renamed. */
  renameDatabase(input: { service: string; from: string; to: string }): Promise<void>;
  databaseExists(input: { service: string; database: string }): Promise<boolean>;
  /** Both renames of a swap in one transaction; idempotent (reads which names exist first). */
  swapDatabaseNames(input: { service: string; names: SwapDatabaseNames }): Promise<'swapped' | 'already-swapped'>;
  /** The pre-restore database back under the live name, the restored one kept as failed-restore; idempotent. */
  swapBackDatabaseNames(input: {
    service: string;
    names: SwapDatabaseNames;
  }): Promise<'swapped-back' | 'already-swapped-back' | 'nothing-to-undo'>;
  readSwapState(input: { service: string; names: SwapDatabaseNames }): Promise<SwapNamesState>;
  /** Sizes in bytes (pg_database_size) of those of the databases that exist; read-only, the live one too. */
  databaseSizes(input: { service: string; databases: string[] }): Promise<Record<string, number>>;
  /** Fails non-retryable (InsufficientDiskSpace), touching nothing, when the database's volume lacks room. */
  checkDiskRoom(input: { service: string; neededBytes: number }): Promise<{ freeBytes: number; neededBytes: number }>;
  listRestoreCopies(input: { service: string }): Promise<RestoreCopy[]>;
  /** When the last drill of the service passed (from Temporal visibility); undefined if none did. */
  lastPassedDrill(input: { service: string }): Promise<string | undefined>;
  /** Tables whose row counts differ from `expected` now (what the apps wrote after a swap). */
  rowChangesSince(input: { service: string; database: string; expected: TableCount[] }): Promise<TableRowChange[]>;
  /** Tables and exact row counts against the manifest, the service's verification SQL, amcheck. */
  verifyRestoredDatabase(input: {
    service: string;
    database: string;
    expected: TableCount[];
    skipServiceChecks?: boolean;
  }): Promise<VerificationReport>;

  /** Creates `targetDatabase` fresh (never the live name) and streams the dump into it; drops it on failure. */
  restoreBackup(input: {
    service: string;
    file: string;
    targetDatabase: string;
    via?: 'container' | 'host';
    /** Connections to restore with; unset: the service's `restoreJobs`, else the server's CPUs (at most 8). */
    jobs?: number;
  }): Promise<RestoreResult>;

  stopApps(input: { service: string }): Promise<ContainerState[]>;
  startApps(input: { service: string }): Promise<ContainerState[]>;
  containerStates(input: { service: string }): Promise<ContainerState[]>;
  reviewAppLogs(input: { service: string; since: string }): Promise<LogReview[]>;

  waitForHealth(input: { service: string; timeoutSeconds?: number }): Promise<HealthReport>;

  notify(input: Notification): Promise<{ delivered: boolean }>;

  /**
   * md5 over the database's catalog (tables, columns and types, defaults, indexes, constraints, sequences; no row
   * data): equal fingerprints, same schema. Default: the live database.
   */
  schemaFingerprint(input: { service: string; database?: string }): Promise<string>;
  /**
   * Renames the verified scratch database `from` to `standby`, records `record` on it and locks it (no
   * connections), in one transaction; idempotent (`from` gone and `standby` there: already kept).
   */
  keepStandby(input: {
    service: string;
    from: string;
    standby: string;
    record: StandbyRecord;
  }): Promise<StandbyDatabase>;
  /** The service's `<db>_standby_*` databases with their records, newest name first. */
  listStandbys(input: { service: string }): Promise<StandbyDatabase[]>;
  /**
   * The standby becomes `target` (the side database a swap expects), unlocked and its record cleared, in one
   * transaction; idempotent. Fails (StandbyGone) when neither name exists.
   */
  useStandby(input: { service: string; standby: string; target: string }): Promise<'used' | 'already-used'>;
  /** Drops a `<db>_standby_*` database of the service; refuses any other name. Idempotent. */
  dropStandby(input: { service: string; database: string }): Promise<void>;
  /** Free bytes on the volume of the service's data directory (df inside the database container). */
  freeDiskBytes(input: { service: string }): Promise<number>;

  approvalRule(): Promise<ApprovalRule>;
  /** Reads the calling workflow's history: who started it and who sent the approve/reject request. */
  approvalIdentities(input: ApprovalRequestRef): Promise<RequestIdentities>;
}

/**
 * The activity type a client looks for among a workflow's pending activities to read restore bytes from its
 * heartbeat. Checked against the contract: renaming the method breaks the build here, not the CLI at 3 a.m.
 */
export const RESTORE_BACKUP_ACTIVITY = 'restoreBackup' satisfies keyof DrActivities;
