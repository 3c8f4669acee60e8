/**
 * Inputs and results of the workflows: one JSON object with defaults each, so `{}` (or `{"service":"argus"}`)
 * typed into the Temporal UI is enough. Pure zod and types: workflows import this file, so it must stay
 * deterministic (no Node built-ins, no environment).
 */
import { z } from 'zod';
import type {
  BackupCatalog,
  BackupInfo,
  ContainerState,
  DatabaseSnapshot,
  LogReview,
  RestoreUnitsProgress,
  TableCount,
  TableRowChange,
  VerificationReport,
} from './activity-contract';

/** The Temporal Schedule that runs `restoreDrill` every night (client/schedules.ts creates it). */
export const NIGHTLY_DRILL_SCHEDULE_ID = 'nightly-restore-drill';

/** Workflow ID the CLI uses for a single-database restore; with conflict policy FAIL a second one is refused. */
export function restoreWorkflowId(service: string): string {
  return `restore-${service}`;
}

/** Workflow ID of the per-service lock that every live restore holds (see workflows/service-lock.ts). */
export function serviceLockWorkflowId(service: string): string {
  return `restore-lock-${service}`;
}

const serviceName = z.string().regex(/^[a-z_][a-z0-9_]{0,47}$/, 'must be a service name such as "argus"');
const backupFileName = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,200}\.sql\.gz$/, 'must be "latest" or a backup file name such as x.sql.gz');
const backupName = z.union([z.literal('latest'), backupFileName]);
const generationTimestamp = z
  .string()
  .regex(/^\d{8}_\d{6}$/, 'must be "latest" or a backup timestamp YYYYMMDD_HHMMSS, e.g. 20231201_020000');
const isoTime = z.iso.datetime({ offset: true, message: 'must be an ISO 8601 time, e.g. 2023-12-01T03:00:00Z' });
const restoreMode = z.enum(['swap', 'in-place']);

const DURATION_PATTERN = /^(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?$/;

/** "30m", "1h30m", "90s", "45" (seconds) or a number of seconds. */
export function parseDurationSeconds(value: string | number): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) && value > 0 ? value : undefined;
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed) > 0 ? Number(trimmed) : undefined;
  const match = DURATION_PATTERN.exec(trimmed);
  if (!match || trimmed === '') return undefined;
  const seconds = Number(match[1] ?? 0) * 3600 + Number(match[2] ?? 0) * 60 + Number(match[3] ?? 0);
  return seconds > 0 ? seconds : undefined;
}

/** An approval gate holds a verified side database (and, in place, stopped apps): a day at most. */
export const MAX_APPROVAL_TIMEOUT_SECONDS = 24 * 3600;

const approvalTimeout = z
  .union([z.string(), z.number()])
  .default('30m')
  .transform((value, ctx) => {
    const seconds = parseDurationSeconds(value);
    if (seconds === undefined) {
      ctx.addIssue({ code: 'custom', message: 'must be a duration such as "30m", "2h", "90s" or a number of seconds' });
      return z.NEVER;
    }
    if (seconds > MAX_APPROVAL_TIMEOUT_SECONDS) {
      ctx.addIssue({ code: 'custom', message: `must be at most 24h (${MAX_APPROVAL_TIMEOUT_SECONDS} s)` });
      return z.NEVER;
    }
    return seconds;
  });

/** Unset: the deployment's rule (config `approval.required`); a deployment that requires approval refuses false. */
const requireApproval = z.boolean().optional();

const healthTimeoutSeconds = z.number().int().min(1).max(3600).default(120);

/** Connections the restore loads with; unset: the service's `restoreJobs`, else its server's CPUs (at most 8). */
const jobs = z.number().int().min(1).max(32).optional();

/** How a restore runs, the same for one service (restoreDatabase) and for several (fullSystemRestore). */
const restoreOptionFields = {
  mode: restoreMode.default('swap'),
  requireApproval,
  approvalTimeout,
  skipServiceChecks: z.boolean().default(false),
  dryRun: z.boolean().default(false),
  healthTimeoutSeconds,
  jobs,
  /** A verified warm standby of the chosen backup is swapped in instead of a restore (never in in-place mode). */
  useStandby: z.boolean().default(true),
};

export const restoreDatabaseInputSchema = z
  .object({
    service: serviceName,
    backup: backupName.default('latest'),
    before: isoTime.optional(),
    ...restoreOptionFields,
  })
  .strict()
  .refine((input) => !(input.before && input.backup !== 'latest'), {
    path: ['before'],
    message: 'give either a backup file or "before", not both',
  });

export const fullSystemRestoreInputSchema = z
  .object({
    timestamp: z.union([z.literal('latest'), generationTimestamp]).default('latest'),
    services: z.array(serviceName).min(1).optional(),
    ...restoreOptionFields,
  })
  .strict();

export const restoreDrillInputSchema = z
  .object({
    services: z.array(serviceName).min(1).optional(),
    /** "latest", a generation YYYYMMDD_HHMMSS, or one file name (then `services` names exactly one service). */
    backup: z.union([z.literal('latest'), generationTimestamp, backupFileName]).default('latest'),
    /** The drill cancels itself after this long and still cleans up. */
    timeoutMinutes: z
      .number()
      .positive()
      .max(24 * 60)
      .default(120),
    jobs,
  })
  .strict()
  .refine((input) => !input.backup.endsWith('.sql.gz') || input.services?.length === 1, {
    path: ['backup'],
    message: 'a backup file name needs exactly one service in "services"',
  });

export const pruneRestoreCopiesInputSchema = z
  .object({
    /** Default: every service. */
    services: z.array(serviceName).min(1).optional(),
    /** List what would be dropped, drop nothing. */
    dryRun: z.boolean().default(false),
  })
  .strict();

export type PruneRestoreCopiesInput = z.input<typeof pruneRestoreCopiesInputSchema>;

/** `opareta-dr backups list`: the input names a service or nothing (every service), never a path. */
export const listBackupCatalogsInputSchema = z.object({ service: serviceName.optional() }).strict();

export type ListBackupCatalogsInput = z.input<typeof listBackupCatalogsInputSchema>;

/** A service's backups as the worker sees them, with the RPO its newest backup is held to. */
export interface ServiceBackupCatalog extends BackupCatalog {
  rpoHours: number;
}

export interface PruneRestoreCopiesResult {
  dryRun: boolean;
  services: {
    service: string;
    lastPassedDrill?: string;
    dropped: { database: string; sizeBytes: number; reason: string }[];
    kept: { database: string; sizeBytes: number; reason: string }[];
  }[];
  droppedBytes: number;
}

export type RestoreDatabaseInput = z.input<typeof restoreDatabaseInputSchema>;
export type RestoreDatabaseRequest = z.output<typeof restoreDatabaseInputSchema>;
export type FullSystemRestoreInput = z.input<typeof fullSystemRestoreInputSchema>;
export type FullSystemRestoreRequest = z.output<typeof fullSystemRestoreInputSchema>;
export type RestoreDrillInput = z.input<typeof restoreDrillInputSchema>;
export type RestoreDrillRequest = z.output<typeof restoreDrillInputSchema>;
export type RestoreMode = z.output<typeof restoreMode>;
export type RestoreOptions = z.output<z.ZodObject<typeof restoreOptionFields>>;

/** How a service's backup is picked. Fallback to the previous generation is allowed for latest and before. */
export type BackupChoice =
  | { kind: 'latest' }
  | { kind: 'file'; file: string }
  | { kind: 'before'; before: string }
  | { kind: 'timestamp'; timestamp: string };

export type RestoreOutcome =
  | 'restored'
  | 'dry-run'
  | 'rejected'
  | 'approval-timed-out'
  | 'verification-failed'
  | 'rolled-back'
  | 'failed'
  | 'cancelled'
  /** A compensation could not finish after its retries: the result and a notification say what to do by hand. */
  | 'needs-manual-repair';

export interface BrokenBackup {
  file: string;
  errorType: string;
  message: string;
}

export interface ChosenBackup extends Pick<BackupInfo, 'file' | 'takenAt' | 'ageHours' | 'sizeBytes'> {
  uncompressedBytes: number;
}

export interface RowCountDifference {
  table: string;
  liveRows: number | null;
  backupRows: number | null;
  /** backupRows - liveRows: negative means the swap would lose rows. */
  difference: number;
  /** liveRows (and so the difference) is the catalog's estimate: the live table was too large to count. */
  estimated?: true;
}

export interface ServiceDatabases {
  live: string;
  side: string;
  preRestore: string;
  failedRestore: string;
}

/** One service's part of a restore: the whole result of restoreDatabase, a part of fullSystemRestore. */
export interface ServiceRestoreReport {
  service: string;
  outcome: RestoreOutcome;
  backup?: ChosenBackup;
  /** The broken backup that was skipped for the previous generation. */
  fallbackFrom?: string;
  brokenBackups: BrokenBackup[];
  rpo: { limitHours: number; ageHours?: number; met?: boolean };
  databases: ServiceDatabases;
  liveBefore?: Pick<DatabaseSnapshot, 'exists' | 'sizeBytes' | 'tables' | 'takenAt'>;
  expectedLoss: RowCountDifference[];
  restoreSeconds?: number;
  downtimeSeconds?: number;
  verification?: VerificationReport;
  health?: { healthy: boolean; unhealthy: string[] };
  logReview?: LogReview[];
  swapped: boolean;
  rolledBack: boolean;
  /** A swap-back keeps the restored database beside the live one: the apps may have written to it. */
  failedRestore?: {
    database: string;
    /** Rows added or removed after the swap, summed over tables; undefined when they could not be counted. */
    rowsChangedAfterSwap?: number;
    tablesChangedAfterSwap?: TableRowChange[];
  };
  /** When a compensation could not finish: the commands that finish it by hand, in order. */
  manualRepair?: string[];
  containers: ContainerState[];
  /**
   * The warm standby of the chosen backup was renamed into the side database: no restore, no verification (the
   * drill's). Unset in runs from before the warm standby.
   */
  fromStandby?: boolean;
  /** The standby used (its name while it waited). */
  standby?: string;
  /** Why no standby was used, when fromStandby is false. */
  standbyUnusedReason?: string;
  /** Standbys dropped to make room for the side restore. */
  standbysDropped?: string[];
}

/** One approve or reject request, as the workflow's history recorded it. */
export interface ApprovalVote {
  /** The Temporal client identity that sent the request (the CLI sends `$USER@host via opareta-dr`). */
  identity: string;
  /** The request's own `by`: a note, not proof of who sent it. */
  by?: string;
  reason?: string;
}

export interface ApprovalRecord {
  required: boolean;
  decision?: 'approved' | 'rejected' | 'timed-out';
  /** The note of the request that decided. */
  by?: string;
  reason?: string;
  /** The client identity of the request that decided. */
  identity?: string;
  /** Every approval counted, in order; two different ones for a full-system or in-place restore in production. */
  approvals?: ApprovalVote[];
  approvalsNeeded?: number;
  /** The client identity that started the workflow: under the four-eyes rule it cannot approve. */
  startedBy?: string;
}

/** What an approve or reject request achieved (the answer of the approve/reject updates). */
export interface ApprovalState {
  status: 'approved' | 'rejected' | 'waiting' | 'refused';
  /** Why, in a sentence an SRE can act on. */
  detail: string;
  approvals: ApprovalVote[];
  approvalsNeeded: number;
}

export interface RestoreDatabaseResult extends ServiceRestoreReport {
  workflowId: string;
  mode: RestoreMode;
  dryRun: boolean;
  detail: string;
  plan: string[];
  approval: ApprovalRecord;
  totalSeconds: number;
  /** What compensation ran, in order. */
  compensations: string[];
}

export interface FullSystemRestoreResult {
  workflowId: string;
  timestamp: string;
  mode: RestoreMode;
  dryRun: boolean;
  outcome: RestoreOutcome;
  detail: string;
  plan: string[];
  approval: ApprovalRecord;
  /** Hours between the oldest and the newest backup chosen. */
  timeSkewHours: number;
  /** First app stopped to every app healthy again, over all services. */
  downtimeSeconds?: number;
  totalSeconds: number;
  rolledBack: boolean;
  compensations: string[];
  services: ServiceRestoreReport[];
}

/**
 * The drill's restore rate applied to the production database's size today: restore seconds scale with the
 * data, so `projectedSeconds = restoreSeconds × liveBytes / restoredBytes` (both as PostgreSQL measures them,
 * on the same server). `warning` is set when the projection passes 80% of the RTO.
 */
export interface RtoForecast {
  /** Plain SQL bytes of the dump the drill restored. */
  dumpBytes: number;
  /** The scratch database's size after the restore. */
  restoredBytes: number;
  /** The live database's size now (the restored size when there is no live database). */
  liveBytes: number;
  restoreSeconds: number;
  projectedSeconds: number;
  /** projectedSeconds over the RTO: 0.8 and above warns. */
  rtoShare: number;
  warning?: string;
}

/** What a drill did about its service's warm standby. */
export interface DrillStandbyReport {
  /** The scratch database stays as the standby. */
  kept: boolean;
  /** `<db>_standby_<stamp>`, when kept. */
  database?: string;
  /** Its pg_database_size: the disk it costs. */
  sizeBytes?: number;
  backupFile?: string;
  /** Free space on the database's volume once the standby was kept. */
  freeDiskBytes?: number;
  /** Why not kept: the drill failed, the standby is disabled, or not enough room (then it was dropped again). */
  reason?: string;
  /** Standbys dropped: the previous one it replaced, to make room, or this one below the disk floor. */
  dropped: string[];
}

export interface DrillServiceReport {
  service: string;
  passed: boolean;
  reason?: string;
  backupFile?: string;
  backupTakenAt?: string;
  backupAgeHours?: number;
  fallbackFrom?: string;
  brokenBackups: BrokenBackup[];
  scratchDatabase: string;
  restoreSeconds?: number;
  rtoMinutes: number;
  rpoHours: number;
  rtoMet?: boolean;
  rpoMet?: boolean;
  rows?: TableCount[];
  verification?: VerificationReport;
  /** Set by drills that restored and verified (recorded before this field existed: absent). */
  forecast?: RtoForecast;
  cleanedUp: boolean;
  /** Set by drills since the warm standby. */
  standby?: DrillStandbyReport;
}

export interface RestoreDrillResult {
  workflowId: string;
  startedAt: string;
  passed: boolean;
  outcome: 'passed' | 'failed' | 'cancelled';
  totalSeconds: number;
  services: DrillServiceReport[];
}

export interface PingServiceResult {
  service: string;
  database: string;
  databaseContainer: string;
  appContainers: string[];
  serverVersion: string;
}

export interface ServiceProgress {
  step: string;
  bytesDone: number;
  bytesTotal: number;
  percent: number;
  etaSeconds?: number;
  /** Connections and units of a parallel restore, as of the restore's latest progress update (absent: serial). */
  units?: RestoreUnitsProgress;
  /** Set while the service's current step waits for a worker on its host: `a worker on host db-b`. */
  waitingFor?: string;
}

export interface WorkflowProgress {
  step: string;
  plan: string[];
  services: Record<string, ServiceProgress>;
}

export interface SwapPreview {
  services: Record<string, RowCountDifference[]>;
}

export interface ApprovalDecision {
  by?: string;
  reason?: string;
}
