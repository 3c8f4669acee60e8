/**
 * An in-memory stand-in for Docker and PostgreSQL behind the activity contract, for workflow decision tests
 * only. It keeps databases (tables and where their data came from), app container states and backups, and
 * records every activity call so a test can assert what the workflow did and did not touch.
 */
import { ApplicationFailure } from '@temporalio/common';
import type {
  BackupInfo,
  BackupManifest,
  ContainerState,
  DrActivities,
  RestoreCopy,
  ServiceDescription,
  StandbyDatabase,
  StandbyRecord,
  TableCount,
} from '../../../shared/activity-contract';
import { approvalIdentities } from '../../../activities/approval';
import { ErrorType, type ErrorTypeName } from '../../../shared/errors';
import { ActivityGate } from './activity-gate';

export { ActivityGate };

export interface FakeBackup {
  file: string;
  takenAt: string;
  ageHours: number;
  tables: TableCount[];
  /**
   * Set to make verifyBackup fail with this (broken-backup) error type, and restoreBackup too, half-way through
   * the stream (it drops its target first, as the real one does).
   */
  broken?: ErrorTypeName;
}

export interface FakeDatabase {
  tables: TableCount[];
  /** "original" for the live data, or the backup file it was restored from. */
  origin: string;
  /** Set while it waits as a warm standby (keepStandby), cleared when it is used. */
  standbyRecord?: StandbyRecord;
  locked?: boolean;
  /** The side database name it was restored as (the real one's comment): how a swap knows it swapped it. */
  restoredAs?: string;
}

export interface FakeService {
  description: ServiceDescription;
  backups: FakeBackup[]; // newest first
  appsRunning: boolean;
}

export interface ActivityCall {
  name: keyof DrActivities;
  input: unknown;
}

const hours = (h: number) => new Date(Date.UTC(2026, 10, 24, 2, 0, 0) - h * 3_600_000).toISOString();
const stampOfIso = (iso: string) => iso.slice(0, 19).replace(/[-:]/g, '').replace('T', '_');

export function backupsFor(service: string, rows: number[]): FakeBackup[] {
  return rows.map((count, i) => {
    const takenAt = hours(24 * i);
    return {
      file: `${service}_${stampOfIso(takenAt)}.sql.gz`,
      takenAt,
      ageHours: 3 + 24 * i,
      tables: [{ table: 'public.items', rows: count }],
    };
  });
}

function describe(service: string): ServiceDescription {
  return {
    service,
    database: `${service}_db`,
    databaseContainer: `opareta-postgres-${service}`,
    user: service,
    appContainers: [`opareta-${service}-1`, `opareta-${service}-2`],
    healthUrls: [`http://127.0.0.1:3001/${service}/health`],
    rtoMinutes: 30,
    rpoHours: 24,
    sandbox: true,
    retention: { keepNewest: 1, keepDays: 7 },
    standby: { enabled: false, minFreeDiskMb: 2048 },
  };
}

export class FakeWorld {
  readonly calls: ActivityCall[] = [];
  readonly databases = new Map<string, Map<string, FakeDatabase>>();
  readonly services = new Map<string, FakeService>();
  readonly gates: ActivityGate[] = [];
  /** Services whose restored database fails verifyRestoredDatabase. */
  readonly failVerification = new Set<string>();
  /** Backup files whose data makes the apps unhealthy once live. */
  readonly unhealthyBackups = new Set<string>();
  /** Backup files whose data makes the apps log database errors once live. */
  readonly logErrorBackups = new Set<string>();
  /** Services whose restore fails with RestoreFailed. */
  readonly failRestore = new Set<string>();
  /** A restore of a broken backup leaves its half-restored target behind (its own clean-up failed). */
  brokenRestoreLeavesTarget = false;
  /** restoreBackup returns no manifest, as a worker from before the one read. */
  restoreWithoutManifest = false;
  restoreSeconds = 12;
  /** Services placed on a host (topology `workerHost`): their steps go to `<queue>@<host>`. */
  hosts: Record<string, string> = {};
  hostWaitMinutes = 10;
  freeDiskBytes = 100 * 1024 ** 3;
  /** pg_database_size of a database: its rows times this, unless `databaseBytes` names it. */
  bytesPerRow = 1024;
  readonly databaseBytes = new Map<string, number>();
  readonly restoreCopies = new Map<string, RestoreCopy[]>();
  readonly lastPassedDrills = new Map<string, string>();
  /** The next swap-back attempts that fail (a database server that stays down), and how. */
  swapBackFailures = { remaining: 0, nonRetryable: false };
  /** The deployment's approval rule (config `approval`); the sandbox's by default. */
  approvalRule = { required: false, distinctApprovers: false };
  /** The live schema's fingerprint per service (schemaFingerprint); "schema-v1" unless set. */
  readonly liveFingerprints = new Map<string, string>();
  /** Runs inside the restoreBackup activity before it returns (e.g. to report progress as the real one does). */
  duringRestore?: (input: { service: string; file: string; targetDatabase: string }) => Promise<void>;

  constructor(services: Record<string, number[]> = { argus: [100, 90, 80], hermes: [200, 190, 180] }) {
    for (const [service, rows] of Object.entries(services)) {
      const description = describe(service);
      this.services.set(service, { description, backups: backupsFor(service, rows), appsRunning: true });
      const live = [{ table: 'public.items', rows: rows[0] + 5 }];
      this.databases.set(service, new Map([[description.database, { tables: live, origin: 'original' }]]));
    }
  }

  gate(activity: keyof DrActivities, matches?: (input: unknown) => boolean): ActivityGate {
    const gate = new ActivityGate(activity, matches);
    this.gates.push(gate);
    return gate;
  }

  called(name: keyof DrActivities): unknown[] {
    return this.calls.filter((c) => c.name === name).map((c) => c.input);
  }

  databaseNames(service: string): string[] {
    return [...this.dbs(service).keys()].sort();
  }

  database(service: string, name: string): FakeDatabase | undefined {
    return this.dbs(service).get(name);
  }

  live(service: string): FakeDatabase | undefined {
    return this.dbs(service).get(this.service(service).description.database);
  }

  service(service: string): FakeService {
    const found = this.services.get(service);
    if (!found) throw ApplicationFailure.nonRetryable(`unknown service ${service}`, ErrorType.UnknownService);
    return found;
  }

  private dbs(service: string): Map<string, FakeDatabase> {
    this.service(service);
    return this.databases.get(service) as Map<string, FakeDatabase>;
  }

  private containers(service: string): ContainerState[] {
    const { description, appsRunning } = this.service(service);
    return description.appContainers.map((name) => ({
      name,
      state: appsRunning ? 'running' : 'exited',
      status: appsRunning ? 'Up 1 second' : 'Exited (0)',
    }));
  }

  private backup(service: string, file: string): FakeBackup {
    const found = this.service(service).backups.find((b) => b.file === file);
    if (!found) throw ApplicationFailure.nonRetryable(`no backup ${file}`, ErrorType.BackupNotFound);
    return found;
  }

  private info(service: string, backup: FakeBackup): BackupInfo {
    return { service, file: backup.file, sizeBytes: 1000, takenAt: backup.takenAt, ageHours: backup.ageHours };
  }

  /** Turns the warm standby on for a service (off by default, as in a config that does not name it). */
  enableStandby(service: string, minFreeDiskMb = 2048): void {
    this.service(service).description.standby = { enabled: true, minFreeDiskMb };
  }

  /** A standby as a drill of `file` leaves it, recorded against the live fingerprint of now. */
  plantStandby(service: string, file: string, name = `${service}_db_standby_20261124030000_abcdef`): string {
    const backup = this.backup(service, file);
    this.dbs(service).set(name, {
      tables: backup.tables,
      origin: file,
      locked: true,
      standbyRecord: {
        service,
        database: name,
        backupFile: file,
        backupTakenAt: backup.takenAt,
        manifest: this.manifest(service, backup),
        verifiedAt: '2026-11-24T03:00:00.000Z',
        checks: [{ name: 'row counts', passed: true, detail: 'equal' }],
        liveSchemaFingerprint: this.liveFingerprints.get(service) ?? 'schema-v1',
        drillWorkflowId: 'drill-planted',
      },
    });
    return name;
  }

  standbys(service: string): StandbyDatabase[] {
    const prefix = `${this.service(service).description.database}_standby_`;
    return [...this.dbs(service).entries()]
      .filter(([name]) => name.startsWith(prefix))
      .sort(([a], [b]) => b.localeCompare(a))
      .map(([database, db]) => ({
        database,
        sizeBytes: this.databaseBytes.get(database) ?? db.tables.reduce((sum, t) => sum + t.rows, 0) * this.bytesPerRow,
        record: db.standbyRecord,
        locked: Boolean(db.locked),
      }));
  }

  private manifest(service: string, backup: FakeBackup): BackupManifest {
    return { service, file: backup.file, sizeBytes: 1000, uncompressedBytes: 10_000, tables: backup.tables, roles: [] };
  }

  /** The DrActivities the test worker registers; each call is recorded, then may be held by a gate. */
  activities(): DrActivities {
    const implementations = this.implementations();
    const recorded = {} as Record<string, (input: unknown) => Promise<unknown>>;
    for (const [name, implementation] of Object.entries(implementations)) {
      recorded[name] = async (input: unknown) => {
        this.calls.push({ name: name as keyof DrActivities, input });
        const gate = this.gates.find((g) => g.activity === name && g.matches(input));
        if (gate) {
          this.gates.splice(this.gates.indexOf(gate), 1);
          await gate.hold();
        }
        return (implementation as (input: unknown) => Promise<unknown>)(input);
      };
    }
    return recorded as unknown as DrActivities;
  }

  private implementations(): DrActivities {
    return {
      describeService: async ({ service }) => this.service(service).description,
      listServices: async () => [...this.services.keys()],
      serviceHosts: async () => ({ hosts: { ...this.hosts }, hostWaitMinutes: this.hostWaitMinutes }),
      listBackups: async ({ service }) => ({
        service,
        directory: `/backups/${service}`,
        backups: this.service(service).backups.map((b) => this.info(service, b)),
        malformed: [],
      }),
      selectBackup: async ({ service, selector }) => {
        const backups = this.service(service).backups;
        let found: FakeBackup | undefined;
        if (selector.kind === 'latest') found = backups[0];
        if (selector.kind === 'file') found = this.backup(service, selector.file);
        if (selector.kind === 'before') found = backups.find((b) => b.takenAt < selector.before);
        if (selector.kind === 'previous') found = backups[backups.findIndex((b) => b.file === selector.file) + 1];
        if (!found) throw ApplicationFailure.nonRetryable(`no ${selector.kind} backup`, ErrorType.BackupNotFound);
        return this.info(service, found);
      },
      verifyBackup: async ({ service, file }) => {
        const backup = this.backup(service, file);
        if (backup.broken) throw ApplicationFailure.nonRetryable(`${file} is broken`, backup.broken);
        return this.manifest(service, backup);
      },
      checkConnectivity: async () => ({ serverVersion: '15.14' }),
      snapshotDatabase: async ({ service, database }) => {
        const name = database ?? this.service(service).description.database;
        const db = this.dbs(service).get(name);
        return { database: name, exists: Boolean(db), tables: db?.tables ?? [], takenAt: new Date().toISOString() };
      },
      terminateBackends: async () => 0,
      dropDatabase: async ({ service, database }) => {
        if (database === this.service(service).description.database) {
          throw ApplicationFailure.nonRetryable(`refusing to drop ${database}`, ErrorType.RefuseLiveDatabase);
        }
        this.dbs(service).delete(database);
      },
      renameDatabase: async ({ service, from, to }) => {
        const dbs = this.dbs(service);
        const db = dbs.get(from);
        if (!db && dbs.has(to)) return;
        if (!db) throw ApplicationFailure.nonRetryable(`no database ${from}`);
        if (dbs.has(to)) throw ApplicationFailure.nonRetryable(`database ${to} exists`);
        dbs.delete(from);
        dbs.set(to, db);
      },
      databaseExists: async ({ service, database }) => this.dbs(service).has(database),
      databaseSizes: async ({ service, databases }) => {
        const dbs = this.dbs(service);
        const sizeOf = (name: string) =>
          this.databaseBytes.get(name) ?? dbs.get(name)!.tables.reduce((sum, t) => sum + t.rows, 0) * this.bytesPerRow;
        return Object.fromEntries(databases.filter((name) => dbs.has(name)).map((name) => [name, sizeOf(name)]));
      },
      checkDiskRoom: async ({ neededBytes }) => {
        if (neededBytes > this.freeDiskBytes) {
          throw ApplicationFailure.nonRetryable('no room for the side restore', ErrorType.InsufficientDiskSpace);
        }
        return { freeBytes: this.freeDiskBytes, neededBytes };
      },
      listRestoreCopies: async ({ service }) => this.restoreCopies.get(service) ?? [],
      lastPassedDrill: async ({ service }) => this.lastPassedDrills.get(service),
      readSwapState: async ({ service, names }) => {
        const dbs = this.dbs(service);
        return {
          live: dbs.has(names.live),
          side: dbs.has(names.side),
          preRestore: dbs.has(names.preRestore),
          failedRestore: dbs.has(names.failedRestore),
        };
      },
      swapDatabaseNames: async ({ service, names }) => {
        const dbs = this.dbs(service);
        const side = dbs.get(names.side);
        // The real rule (activities/database-swap.ts): swapped only if the live database is the one restored.
        if (!side && dbs.get(names.live)?.restoredAs === names.side) return 'already-swapped';
        if (!side) throw ApplicationFailure.nonRetryable(`no database ${names.side}`, ErrorType.SwapStateUnexpected);
        const live = dbs.get(names.live);
        if (live) dbs.set(names.preRestore, live);
        dbs.set(names.live, side);
        dbs.delete(names.side);
        return 'swapped';
      },
      swapBackDatabaseNames: async ({ service, names }) => {
        if (this.swapBackFailures.remaining > 0) {
          this.swapBackFailures.remaining--;
          throw ApplicationFailure.create({
            message: 'connect ECONNREFUSED 127.0.0.1:5432',
            nonRetryable: this.swapBackFailures.nonRetryable,
          });
        }
        const dbs = this.dbs(service);
        const pre = dbs.get(names.preRestore);
        if (!pre) return dbs.has(names.failedRestore) ? 'already-swapped-back' : 'nothing-to-undo';
        const live = dbs.get(names.live);
        if (live) dbs.set(names.failedRestore, live);
        dbs.set(names.live, pre);
        dbs.delete(names.preRestore);
        return 'swapped-back';
      },
      rowChangesSince: async ({ service, database, expected }) => {
        const now = this.dbs(service).get(database)?.tables ?? [];
        return expected
          .map((t) => ({ table: t.table, expectedRows: t.rows, rows: now.find((n) => n.table === t.table)?.rows ?? 0 }))
          .filter((t) => t.rows !== t.expectedRows);
      },
      verifyRestoredDatabase: async ({ service, database, expected }) => {
        const db = this.dbs(service).get(database);
        const countsMatch = JSON.stringify(db?.tables) === JSON.stringify(expected);
        const checks = [
          { name: 'row counts', passed: countsMatch, detail: countsMatch ? 'equal' : 'differ' },
          { name: 'service checks', passed: !this.failVerification.has(service), detail: 'ledger sums' },
        ];
        return { database, passed: checks.every((c) => c.passed), checks };
      },
      restoreBackup: async ({ service, file, targetDatabase }) => {
        if (targetDatabase === this.service(service).description.database) {
          throw ApplicationFailure.nonRetryable(
            'refusing to restore over the live database',
            ErrorType.RefuseLiveDatabase,
          );
        }
        if (this.failRestore.has(service)) {
          throw ApplicationFailure.nonRetryable('psql exited with 3', ErrorType.RestoreFailed);
        }
        const backup = this.backup(service, file);
        await this.duringRestore?.({ service, file, targetDatabase });
        // Starts from nothing, as the real one does: a previous attempt's target is dropped first.
        this.dbs(service).set(targetDatabase, {
          tables: [],
          origin: `${file} (half-restored)`,
          restoredAs: targetDatabase,
        });
        if (backup.broken) {
          if (!this.brokenRestoreLeavesTarget) this.dbs(service).delete(targetDatabase);
          throw ApplicationFailure.nonRetryable(`${file} is broken`, backup.broken);
        }
        this.dbs(service).set(targetDatabase, { tables: backup.tables, origin: file, restoredAs: targetDatabase });
        const result = {
          service,
          file,
          targetDatabase,
          bytesRead: 10_000,
          tables: backup.tables,
          seconds: this.restoreSeconds,
        };
        return this.restoreWithoutManifest ? result : { ...result, manifest: this.manifest(service, backup) };
      },
      stopApps: async ({ service }) => {
        this.service(service).appsRunning = false;
        return this.containers(service);
      },
      startApps: async ({ service }) => {
        this.service(service).appsRunning = true;
        return this.containers(service);
      },
      containerStates: async ({ service }) => this.containers(service),
      reviewAppLogs: async ({ service }) =>
        this.service(service).description.appContainers.map((container) => {
          const bad = this.logErrorBackups.has(this.live(service)?.origin ?? '');
          return { container, linesRead: 10, errorLines: bad ? ['FATAL: relation "items" does not exist'] : [] };
        }),
      waitForHealth: async ({ service }) => {
        const live = this.live(service);
        const healthy = this.service(service).appsRunning && !!live && !this.unhealthyBackups.has(live.origin);
        const { healthUrls } = this.service(service).description;
        return {
          healthy,
          endpoints: healthUrls.map((url) => ({ url, healthy, status: healthy ? 200 : 500 })),
        };
      },
      schemaFingerprint: async ({ service }) => this.liveFingerprints.get(service) ?? 'schema-v1',
      keepStandby: async ({ service, from, standby, record }) => {
        const dbs = this.dbs(service);
        const db = dbs.get(from);
        if (db) {
          dbs.delete(from);
          dbs.set(standby, { ...db, standbyRecord: record, locked: true });
        }
        const kept = this.standbys(service).find((s) => s.database === standby);
        if (!kept) throw ApplicationFailure.nonRetryable(`no database ${from}`, ErrorType.SwapStateUnexpected);
        return kept;
      },
      listStandbys: async ({ service }) => this.standbys(service),
      useStandby: async ({ service, standby, target }) => {
        const dbs = this.dbs(service);
        const db = dbs.get(standby);
        if (!db && dbs.has(target)) return 'already-used';
        if (!db)
          throw ApplicationFailure.nonRetryable(`the standby ${standby} no longer exists`, ErrorType.StandbyGone);
        dbs.delete(standby);
        dbs.set(target, { tables: db.tables, origin: db.origin, restoredAs: target });
        return 'used';
      },
      dropStandby: async ({ service, database }) => {
        // Its files go: the room it took is free again.
        this.freeDiskBytes += this.standbys(service).find((s) => s.database === database)?.sizeBytes ?? 0;
        this.dbs(service).delete(database);
      },
      freeDiskBytes: async () => this.freeDiskBytes,
      notify: async () => ({ delivered: true }),
      approvalRule: async () => ({ ...this.approvalRule }),
      // The real one: it reads the workflow's history from the test server.
      approvalIdentities,
    };
  }
}
