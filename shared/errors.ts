/**
 * ApplicationFailure types an SRE sees in the Temporal UI. The ones in NON_RETRYABLE describe bad input
 * or a bad backup: retrying cannot help, so activities raise them non-retryable.
 */
export const ErrorType = {
  InvalidInput: 'InvalidInput',
  UnknownService: 'UnknownService',
  BackupNotFound: 'BackupNotFound',
  PathOutsideBackupDirectory: 'PathOutsideBackupDirectory',
  BackupNotGzip: 'BackupNotGzip',
  BackupEmpty: 'BackupEmpty',
  BackupCorrupt: 'BackupCorrupt',
  BackupTruncated: 'BackupTruncated',
  BackupIncomplete: 'BackupIncomplete',
  /** The dump holds something a pg_dump of one database never does: a psql meta-command, COPY PROGRAM, ... */
  BackupUnsafe: 'BackupUnsafe',
  RefuseLiveDatabase: 'RefuseLiveDatabase',
  /** Retryable: psql lost its connection, the container restarted, the worker went away. */
  RestoreFailed: 'RestoreFailed',
  /**
   * The dump's SQL failed on the server in a way that recurs on every attempt (psql exit 3 under ON_ERROR_STOP
   * with a SQLSTATE outside the transient classes): a duplicate key, a bad value, a missing permission.
   */
  RestoreSqlError: 'RestoreSqlError',
  VerificationFailed: 'VerificationFailed',
  ContainerNotFound: 'ContainerNotFound',
  ConfigError: 'ConfigError',
  RestoreAlreadyRunning: 'RestoreAlreadyRunning',
  /** The databases of a swap are in a state no swap step leaves (a name taken by hand, say): touch nothing. */
  SwapStateUnexpected: 'SwapStateUnexpected',
  /** The database's volume has no room for the side restore: nothing was touched. */
  InsufficientDiskSpace: 'InsufficientDiskSpace',
  /** No worker on a service's host picked up its steps within the topology's hostWaitMinutes. */
  HostWorkerMissing: 'HostWorkerMissing',
  /** The warm standby a restore planned to use is gone (dropped or replaced since): restore normally instead. */
  StandbyGone: 'StandbyGone',
} as const;

export type ErrorTypeName = (typeof ErrorType)[keyof typeof ErrorType];

/**
 * The backup failures a workflow may answer by falling back to the previous generation. RestoreSqlError is not
 * one: its cause may as well be the target server (a missing extension, role or permission), which an older
 * backup shares, and falling back would silently trade a day of data for it. It is also raised by the restore,
 * after the backup was chosen: an SRE reads psql's error and picks the backup.
 */
export const BROKEN_BACKUP_ERRORS: ErrorTypeName[] = [
  ErrorType.BackupNotGzip,
  ErrorType.BackupEmpty,
  ErrorType.BackupCorrupt,
  ErrorType.BackupTruncated,
  ErrorType.BackupIncomplete,
  ErrorType.BackupUnsafe,
];

export const NON_RETRYABLE: ErrorTypeName[] = [
  ErrorType.InvalidInput,
  ErrorType.UnknownService,
  ErrorType.BackupNotFound,
  ErrorType.PathOutsideBackupDirectory,
  ...BROKEN_BACKUP_ERRORS,
  ErrorType.RestoreSqlError,
  ErrorType.RefuseLiveDatabase,
  ErrorType.ContainerNotFound,
  ErrorType.ConfigError,
  ErrorType.SwapStateUnexpected,
  ErrorType.InsufficientDiskSpace,
  ErrorType.HostWorkerMissing,
  ErrorType.StandbyGone,
];
