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
  RestoreFailed: 'RestoreFailed',
  VerificationFailed: 'VerificationFailed',
  ContainerNotFound: 'ContainerNotFound',
  ConfigError: 'ConfigError',
  RestoreAlreadyRunning: 'RestoreAlreadyRunning',
  /** The databases of a swap are in a state no swap step leaves (a name taken by hand, say): touch nothing. */
  SwapStateUnexpected: 'SwapStateUnexpected',
  /** The database's volume has no room for the side restore: nothing was touched. */
  InsufficientDiskSpace: 'InsufficientDiskSpace',
} as const;

export type ErrorTypeName = (typeof ErrorType)[keyof typeof ErrorType];

export const NON_RETRYABLE: ErrorTypeName[] = [
  ErrorType.InvalidInput,
  ErrorType.UnknownService,
  ErrorType.BackupNotFound,
  ErrorType.PathOutsideBackupDirectory,
  ErrorType.BackupNotGzip,
  ErrorType.BackupEmpty,
  ErrorType.BackupCorrupt,
  ErrorType.BackupTruncated,
  ErrorType.BackupIncomplete,
  ErrorType.BackupUnsafe,
  ErrorType.RefuseLiveDatabase,
  ErrorType.ContainerNotFound,
  ErrorType.ConfigError,
  ErrorType.SwapStateUnexpected,
  ErrorType.InsufficientDiskSpace,
];

/** The backup failures a workflow may answer by falling back to the previous generation. */
export const BROKEN_BACKUP_ERRORS: ErrorTypeName[] = [
  ErrorType.BackupNotGzip,
  ErrorType.BackupEmpty,
  ErrorType.BackupCorrupt,
  ErrorType.BackupTruncated,
  ErrorType.BackupIncomplete,
  ErrorType.BackupUnsafe,
];
