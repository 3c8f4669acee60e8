import { readFileSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';

/** A name we put into SQL or Docker: conservative on purpose, SQL is still quoted everywhere. */
const identifier = z
  .string()
  .regex(/^[a-z_][a-z0-9_]{0,47}$/, 'must be lower-case letters, digits and _ (at most 48 characters)');
/** A machine's name as workers and task queues know it (`opareta-dr@<host>`): a DNS-like label. */
export const workerHostName = z
  .string()
  .regex(/^[a-z0-9][a-z0-9.-]{0,62}$/, 'must be lower-case letters, digits, . and - (at most 63 characters)');
const containerName = z.string().regex(/^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,127}$/, 'is not a valid container name');

/**
 * The service's own checks run in the restored database as its throwaway owner with search_path pinned to
 * `pg_catalog, pg_temp` (so a backup's function cannot stand in for a built-in): tables must be schema-qualified
 * (`public.users`, not `users`).
 */
const verificationCheck = z
  .object({
    name: z.string().min(1),
    /** A query returning rows that describe violations: the check passes when it returns none. */
    violationsSql: z.string().optional(),
    /** A query returning one row with one numeric column that must be at least `atLeast`. */
    countSql: z.string().optional(),
    atLeast: z.number().int().nonnegative().default(1),
  })
  .strict()
  .refine((c) => Boolean(c.violationsSql) !== Boolean(c.countSql), {
    message: 'give exactly one of violationsSql or countSql',
  });

const secretSource = z
  .object({
    /** Environment variable of the worker holding the password. */
    env: z.string().regex(/^[A-Z_][A-Z0-9_]*$/, 'must be an environment variable name'),
    /** Optional file read when the variable is unset (Docker/Kubernetes secrets). */
    file: z.string().optional(),
  })
  .strict();

/**
 * The warm standby (README "Warm standby"): a drill that passes keeps its verified scratch database as
 * `<db>_standby_<stamp>`, and a restore from that same backup swaps it in instead of restoring. Costs one more
 * copy of the database on its volume; off unless a deployment turns it on.
 */
export const standbySchema = z
  .object({
    enabled: z.boolean().default(false),
    /**
     * Free space (MB) the database's volume keeps beside the standby: a standby that leaves less is dropped at
     * once, so it never takes the room the live database grows into.
     */
    minFreeDiskMb: z.number().int().nonnegative().default(2048),
  })
  .strict();

export const serviceSchema = z
  .object({
    database: identifier,
    user: identifier,
    /** Where the worker reaches PostgreSQL with `pg`. */
    host: z.string().min(1).default('localhost'),
    /**
     * The machine that runs this service's database container, holds its backups and runs its apps: its steps
     * (catalog, integrity, Docker, psql, logs) go to the task queue `opareta-dr@<workerHost>`, which only the
     * worker started there with `--host <workerHost>` polls. Unset: the orchestration queue's workers run them.
     */
    workerHost: workerHostName.optional(),
    port: z.number().int().min(1).max(65535).default(5432),
    /** Where the password comes from; never the password itself. */
    password: secretSource,
    /**
     * The role the worker connects as (README "Least privilege"): no superuser, only what the server-level steps
     * need (`opareta-dr setup-roles` creates it). Unset: the worker connects as `user`, which then needs those
     * rights itself, and a superuser `user` is logged as a risk.
     */
    operator: z.object({ user: identifier, password: secretSource }).strict().optional(),
    databaseContainer: containerName,
    appContainers: z.array(containerName).min(1),
    healthUrls: z.array(z.url()).min(1),
    backupDirectory: z.string().min(1),
    backupPattern: z
      .string()
      .refine((p) => p.includes('{YYYYMMDD}') && p.includes('{HHMMSS}'), 'must contain {YYYYMMDD} and {HHMMSS}')
      .default('{service}_{YYYYMMDD}_{HHMMSS}.sql.gz'),
    verification: z.array(verificationCheck).default([]),
    /** PostgreSQL's data directory inside the database container: its volume must have room for a side restore. */
    dataDirectory: z.string().startsWith('/').default('/var/lib/postgresql/data'),
    /** Connections a restore loads with (parallel restore); unset: the database server's CPU count, at most 8. */
    restoreJobs: z.number().int().min(1).max(32).optional(),
    /**
     * maintenance_work_mem of each restore connection, in MB: the indexes and keys it builds after the data sort
     * in memory up to this (the server's default, 64 MB, spills a large table's sort to disk).
     */
    restoreMaintenanceWorkMemMb: z.number().int().min(1).max(65536).default(512),
    standby: standbySchema.default({ enabled: false, minFreeDiskMb: 2048 }),
  })
  .strict();

/** Which `_pre_restore_`/`_failed_restore_` copies pruneRestoreCopies may drop. */
export const retentionSchema = z
  .object({
    /** The newest copies of each service always kept, whatever their age. */
    keepNewest: z.number().int().min(1).default(1),
    /** Copies younger than this are kept. */
    keepDays: z.number().positive().default(7),
  })
  .strict();

/** Who may let a restore swap into production. The sandbox default: nobody has to. */
const approvalPolicy = z
  .object({
    /** Every swap waits for approval; an input with `requireApproval: false` is refused. */
    required: z.boolean().default(false),
    /** The starter cannot approve their own restore; full-system and in-place restores need two approvers. */
    distinctApprovers: z.boolean().default(false),
  })
  .strict();

export const topologySchema = z
  .object({
    name: z.string().min(1),
    /** Every backup directory must sit inside this root: the confinement boundary for input paths. */
    backupRoot: z.string().min(1),
    /** True for the local Docker stack that `npm start` brings up. */
    sandbox: z.boolean().default(false),
    rtoMinutes: z.number().positive().default(30),
    rpoHours: z.number().positive().default(24),
    /**
     * How long a step waits for a worker on its service's host before the restore fails with that reason.
     * Unset: a third of the RTO, so the wait still leaves time to act.
     */
    hostWaitMinutes: z.number().positive().optional(),
    retention: retentionSchema.default({ keepNewest: 1, keepDays: 7 }),
    approval: approvalPolicy.default({ required: false, distinctApprovers: false }),
    services: z
      .record(identifier, serviceSchema)
      .refine((s) => Object.keys(s).length > 0, 'needs at least one service'),
  })
  .strict()
  .superRefine((topology, ctx) => {
    for (const [name, service] of Object.entries(topology.services)) {
      const root = path.resolve(topology.backupRoot);
      const dir = path.resolve(root, service.backupDirectory);
      if (dir !== root && !dir.startsWith(root + path.sep)) {
        ctx.addIssue({
          code: 'custom',
          path: ['services', name, 'backupDirectory'],
          message: `${service.backupDirectory} is outside the backup root ${topology.backupRoot}`,
        });
      }
    }
  });

export type Topology = z.infer<typeof topologySchema>;
export type ServiceConfig = z.infer<typeof serviceSchema>;
export type StandbyConfig = z.infer<typeof standbySchema>;
export type VerificationCheck = z.infer<typeof verificationCheck>;
export type ApprovalPolicy = z.infer<typeof approvalPolicy>;

export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

/** Validates a parsed config; the error names every bad field by its path, e.g. services.argus.database. */
export function parseTopology(raw: unknown, source = 'config'): Topology {
  const result = topologySchema.safeParse(raw);
  if (!result.success) {
    const problems = result.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`);
    throw new ConfigError(`${source} is invalid:\n  ${problems.join('\n  ')}`);
  }
  return resolvePaths(result.data, source);
}

/** Relative directories in a config file are relative to the file, so the sandbox config works from any cwd. */
function resolvePaths(topology: Topology, source: string): Topology {
  const base = source.endsWith('.json') ? path.dirname(path.resolve(source)) : process.cwd();
  const backupRoot = path.resolve(base, topology.backupRoot);
  const services = Object.fromEntries(
    Object.entries(topology.services).map(([name, s]) => [
      name,
      {
        ...s,
        backupDirectory: path.resolve(backupRoot, s.backupDirectory),
        password: { ...s.password, file: s.password.file && path.resolve(base, s.password.file) },
        ...(s.operator && {
          operator: {
            ...s.operator,
            password: {
              ...s.operator.password,
              file: s.operator.password.file && path.resolve(base, s.operator.password.file),
            },
          },
        }),
      },
    ]),
  );
  return { ...topology, backupRoot, services };
}

export function loadTopology(file: string): Topology {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new ConfigError(`cannot read config ${file}: ${(err as Error).message}`);
  }
  return parseTopology(raw, file);
}

export function serviceNames(topology: Topology): string[] {
  return Object.keys(topology.services);
}

export function getService(topology: Topology, service: string): ServiceConfig {
  const config = Object.hasOwn(topology.services, service) ? topology.services[service] : undefined;
  if (!config) {
    throw new ConfigError(`unknown service "${service}"; known: ${serviceNames(topology).join(', ')}`);
  }
  return config;
}

/** The services whose host-bound steps a worker started with `--host <host>` runs (no host: the unplaced ones). */
export function servicesOnHost(topology: Topology, host: string | undefined): string[] {
  return serviceNames(topology).filter((name) => topology.services[name].workerHost === host);
}

/** The topology with only the named services: what a host's worker may touch. */
export function restrictTopology(topology: Topology, services: string[]): Topology {
  return { ...topology, services: Object.fromEntries(services.map((name) => [name, topology.services[name]])) };
}
