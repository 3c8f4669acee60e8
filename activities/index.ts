import { Context } from '@temporalio/activity';
import type { DrActivities, SwapDatabaseNames } from '../shared/activity-contract';
import { ErrorType } from '../shared/errors';
import { readDatabasePassword } from '../shared/node/secrets';
import { settings } from '../shared/node/settings';
import type { Topology } from '../shared/node/topology';
import { appContainerNamesForLogs, serviceContainerStates, startAppContainers, stopAppContainers } from './containers';
import { listBackupCatalog, selectFromCatalog } from './backup-catalog';
import { resolveBackupPath } from './backup-paths';
import { scanBackupFile } from './backup-integrity';
import { reviewLogs } from './app-logs';
import * as swap from './database-swap';
import * as copies from './restore-copies';
import { approvalIdentities, approvalRule } from './approval';
import { verifyDatabase } from './database-verification';
import { whileHeartbeating } from './heartbeat-timer';
import { createContainerClient, type ContainerClient } from './docker';
import { failure } from './errors';
import { waitForEndpoints } from './health';
import { sendNotification } from './notify';
import { snapshotLiveDatabase, type SnapshotLimits } from './live-snapshot';
import * as pg from './postgres';
import { restoreBackup } from './restore';
import { dropRestoreTarget } from './restore-confinement';
import { handOverRestoredDatabase } from './restored-ownership';
import { schemaFingerprint } from './schema-fingerprint';
import { describeService, listServices, serviceConfig, serviceHosts } from './services';
import * as standby from './standby';

export interface ActivityDependencies {
  topology: Topology;
  /** Test seam: the Docker client of the activities; the shared Docker module by default. */
  containers?: ContainerClient;
  readPassword?: pg.PasswordReader;
  /** Defaults to settings.notifyWebhookUrl; unset means notifications are a no-op. */
  webhookUrl?: string;
  appReadyTimeoutMs?: number;
  /** Test seam: false lets the dump reader's refusals through, to show that confinement alone stops them. */
  enforceDumpPolicy?: boolean;
  /** Test seam: COPY rows per parallel-restore unit, in bytes (small, to cut a test's small tables). */
  copyCutBytes?: number;
  /** Limits of the live snapshot's exact counts; default from settings (OPARETA_EXACT_COUNT_*). */
  snapshotLimits?: Partial<SnapshotLimits>;
}

const HEARTBEAT_EVERY_BYTES = 16 * 1024 * 1024;

export function createActivities(deps: ActivityDependencies): DrActivities {
  const { topology } = deps;
  const containers = deps.containers ?? createContainerClient();
  const readPassword = deps.readPassword ?? readDatabasePassword;
  const postgres = pg.createPostgresAccess(readPassword);
  const config = (service: string) => serviceConfig(topology, service);
  const snapshotLimits: SnapshotLimits = {
    exactCountBudgetBytes: deps.snapshotLimits?.exactCountBudgetBytes ?? settings.exactCountBudgetBytes,
    countTimeoutMs: deps.snapshotLimits?.countTimeoutMs ?? settings.exactCountTimeoutMs,
  };
  const maintenance = <T>(service: string, fn: Parameters<typeof postgres.withClient<T>>[2]) =>
    postgres.withClient(config(service), pg.MAINTENANCE_DATABASE, fn);

  return {
    describeService: async ({ service }) => describeService(topology, service),
    listServices: async () => listServices(topology),
    serviceHosts: async () => serviceHosts(topology),

    listBackups: ({ service }) => listBackupCatalog(service, config(service)),
    selectBackup: ({ service, selector }) => selectFromCatalog(service, config(service), selector),
    async verifyBackup({ service, file }) {
      const filePath = await resolveBackupPath(config(service).backupDirectory, file);
      // SET ROLE to a superuser is refused: learn who they are, if the server answers (it may be the one lost).
      const superusers = await maintenance(service, pg.superuserNames).catch(() => []);
      let nextHeartbeat = 0;
      const context = Context.current();
      const summary = await scanBackupFile(
        filePath,
        file,
        (progress) => {
          if (progress.compressedBytesRead < nextHeartbeat) return;
          nextHeartbeat = progress.compressedBytesRead + HEARTBEAT_EVERY_BYTES;
          context.heartbeat(progress);
        },
        context.cancellationSignal,
        { enforce: deps.enforceDumpPolicy ?? true, superusers },
      ).catch(async (err: unknown) => {
        // A cancelled scan ends with an AbortError: report it as Temporal's cancellation.
        if (context.cancellationSignal.aborted) await context.cancelled;
        throw err;
      });
      return {
        service,
        file,
        sizeBytes: summary.sizeBytes,
        uncompressedBytes: summary.uncompressedBytes,
        pgDumpVersion: summary.pgDumpVersion,
        serverVersion: summary.serverVersion,
        tables: summary.tables,
        roles: summary.roles,
      };
    },

    async checkConnectivity({ service, database }) {
      const name = database ?? config(service).database;
      pg.assertDatabaseName(name);
      return postgres.withClient(config(service), name, async (client) => {
        await client.query('SELECT 1');
        return { serverVersion: await pg.serverVersion(client) };
      });
    },
    async snapshotDatabase({ service, database }) {
      const name = database ?? config(service).database;
      pg.assertDatabaseName(name);
      return snapshotLiveDatabase(postgres, config(service), name, snapshotLimits);
    },
    async terminateBackends({ service, database }) {
      pg.assertDatabaseName(database);
      return maintenance(service, (client) => pg.terminateBackends(client, database));
    },
    async dropDatabase({ service, database }) {
      pg.assertNotLiveDatabase(service, config(service), database, 'drop');
      await maintenance(service, (client) => dropRestoreTarget(client, database));
    },
    async renameDatabase({ service, from, to }) {
      pg.assertDatabaseName(from, 'from');
      pg.assertDatabaseName(to, 'to');
      await maintenance(service, async (client) => {
        const [fromExists, toExists] = [await pg.databaseExists(client, from), await pg.databaseExists(client, to)];
        if (!fromExists && toExists) return;
        if (!fromExists)
          throw failure(ErrorType.InvalidInput, `cannot rename ${from} to ${to}: neither exists on ${service}`);
        if (toExists)
          throw failure(ErrorType.InvalidInput, `cannot rename ${from} to ${to}: ${to} already exists on ${service}`);
        await pg.renameDatabase(client, from, to);
      });
    },
    async databaseExists({ service, database }) {
      pg.assertDatabaseName(database);
      return maintenance(service, (client) => pg.databaseExists(client, database));
    },
    async swapDatabaseNames({ service, names }) {
      assertSwapNames(names);
      await handOverRestoredDatabase(postgres, config(service), names.side, names.live);
      return maintenance(service, (client) => swap.swapIn(client, names));
    },
    async swapBackDatabaseNames({ service, names }) {
      assertSwapNames(names);
      return maintenance(service, (client) => swap.swapBack(client, names));
    },
    async readSwapState({ service, names }) {
      assertSwapNames(names);
      return maintenance(service, (client) => swap.readSwapState(client, names));
    },
    databaseSizes: async ({ service, databases }) => {
      for (const database of databases) pg.assertDatabaseName(database);
      return maintenance(service, (client) => pg.databaseSizes(client, databases));
    },
    checkDiskRoom: ({ service, neededBytes }) =>
      copies.checkDiskRoom(containers, config(service), service, neededBytes),
    listRestoreCopies: ({ service }) =>
      maintenance(service, (client) => copies.listRestoreCopies(client, config(service).database)),
    async lastPassedDrill({ service }) {
      config(service); // An unknown name fails here, before it reaches the visibility query.
      return copies.lastPassedDrill(service);
    },
    async rowChangesSince({ service, database, expected }) {
      pg.assertNotLiveDatabase(service, config(service), database, 'count the changes of');
      return postgres.withClient(config(service), database, (client) => swap.rowChangesSince(client, expected));
    },
    async verifyRestoredDatabase({ service, database, expected, skipServiceChecks }) {
      pg.assertDatabaseName(database);
      return whileHeartbeating((report) =>
        verifyDatabase(postgres, config(service), database, expected, skipServiceChecks, report),
      );
    },

    restoreBackup: ({ service, file, targetDatabase, via, jobs }) =>
      restoreBackup(
        {
          containers,
          postgres,
          readPassword,
          enforceDumpPolicy: deps.enforceDumpPolicy,
          copyCutBytes: deps.copyCutBytes,
        },
        { service, config: config(service), file, targetDatabase, via, jobs },
      ),

    stopApps: ({ service }) => stopAppContainers(containers, config(service)),
    startApps: ({ service }) => startAppContainers(containers, config(service), deps.appReadyTimeoutMs ?? 120_000),
    containerStates: ({ service }) => serviceContainerStates(containers, config(service)),
    async reviewAppLogs({ service, since }) {
      const sinceTime = new Date(since);
      if (Number.isNaN(sinceTime.getTime())) {
        throw failure(ErrorType.InvalidInput, `"since" must be an ISO 8601 time, got ${JSON.stringify(since)}`);
      }
      return reviewLogs(containers, await appContainerNamesForLogs(containers, config(service)), sinceTime);
    },

    waitForHealth: ({ service, timeoutSeconds }) =>
      waitForEndpoints(config(service).healthUrls, { timeoutSeconds: timeoutSeconds ?? 60 }),

    notify: (notification) =>
      sendNotification(notification, { webhookUrl: deps.webhookUrl ?? settings.notifyWebhookUrl }),

    async schemaFingerprint({ service, database }) {
      const name = database ?? config(service).database;
      pg.assertDatabaseName(name);
      return postgres.withClient(config(service), name, schemaFingerprint);
    },
    async keepStandby({ service, from, standby: name, record }) {
      pg.assertNotLiveDatabase(service, config(service), from, 'keep as a standby');
      assertStandbyName(service, config(service).database, name);
      // Kept as it would go live: objects to the owner role, the database to the live one's owner, so the
      // backup's code (autovacuum runs it while the standby waits) can neither rewrite its record nor unlock it.
      await handOverRestoredDatabase(postgres, config(service), from, config(service).database);
      return maintenance(service, async (client) => {
        await standby.keepStandby(client, from, name, record);
        const kept = (await standby.listStandbys(client, config(service).database)).find((s) => s.database === name);
        if (!kept) throw new Error(`${name} vanished right after it was kept`);
        return kept;
      });
    },
    listStandbys: ({ service }) =>
      maintenance(service, (client) => standby.listStandbys(client, config(service).database)),
    async useStandby({ service, standby: name, target }) {
      assertStandbyName(service, config(service).database, name);
      pg.assertNotLiveDatabase(service, config(service), target, 'turn a standby into');
      return maintenance(service, (client) => standby.useStandby(client, name, target));
    },
    async dropStandby({ service, database }) {
      assertStandbyName(service, config(service).database, database);
      await maintenance(service, (client) => dropRestoreTarget(client, database));
    },
    freeDiskBytes: ({ service }) => copies.freeBytesOnDataVolume(containers, config(service)),

    approvalRule: async () => approvalRule(topology),
    approvalIdentities,
  };
}

/** Standby activities act on `<db>_standby_*` names of the service only: never live, never another copy. */
function assertStandbyName(service: string, live: string, name: string): void {
  pg.assertDatabaseName(name, 'standby');
  if (!standby.isStandbyName(live, name)) {
    throw failure(ErrorType.InvalidInput, `${name} is not a standby of ${service} (${standby.standbyPrefix(live)}*)`);
  }
}

function assertSwapNames(names: SwapDatabaseNames): void {
  for (const [field, name] of Object.entries(names)) pg.assertDatabaseName(name, field);
}
