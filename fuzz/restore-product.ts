import { createActivities } from '../activities';
import type { DrActivities } from '../shared/activity-contract';
import { parseTopology, type Topology } from '../shared/node/topology';
import { MockActivityEnvironment } from '@temporalio/testing';
import { DefaultLogger } from '@temporalio/worker';
import { SUPERUSER, type PostgresServer } from './server';

export const SERVICE = 'fuzz';
const PASSWORD_ENV = 'OPARETA_FUZZ_TARGET_PASSWORD';

export type ProductOutcome =
  | { ok: true; failedChecks: string[] }
  | {
      ok: false;
      stage: 'verifyBackup' | 'restoreBackup';
      type: string;
      message: string;
      line?: number;
      copyTable?: string;
    };

/**
 * The product's restore, as the workflows call it: `verifyBackup` (the integrity and policy check) and then
 * `restoreBackup` into a fresh side database, via the host's psql (the target's psql 18, first on PATH), then
 * `verifyRestoredDatabase` (counts against the manifest, amcheck). Activities run in a MockActivityEnvironment,
 * as in test/integration/activities.
 */
/** How the product restores one dump: connections, and COPY rows per unit (the product's default: 8 MB). */
export interface ProductSettings {
  jobs: number;
  /** Small cuts split the small COPY blocks of fuzz dumps into many units, as 8 MB cuts split big tables. */
  copyCutBytes?: number;
}

export class ProductRestorer {
  private readonly activitiesByCut = new Map<number | undefined, DrActivities>();
  private readonly topology: Topology;

  constructor(target: PostgresServer, backupDirectory: string) {
    process.env[PASSWORD_ENV] = target.password;
    // The host psql must know \restrict (this machine's is 15.18): the downloaded 18 goes first on PATH.
    if (!process.env.PATH?.startsWith(target.binaries.clientBin)) {
      process.env.PATH = `${target.binaries.clientBin}:${process.env.PATH ?? ''}`;
    }
    this.topology = parseTopology({
      name: 'dump-fuzz',
      backupRoot: backupDirectory,
      sandbox: true,
      services: {
        [SERVICE]: {
          database: 'fuzz_live',
          user: SUPERUSER,
          host: '127.0.0.1',
          port: target.port,
          password: { env: PASSWORD_ENV },
          databaseContainer: 'opareta-fuzz-no-container',
          appContainers: ['opareta-fuzz-no-app'],
          healthUrls: ['http://127.0.0.1:9/health'],
          backupDirectory: '.',
          verification: [],
        },
      },
    });
  }

  private activities(copyCutBytes: number | undefined): DrActivities {
    let activities = this.activitiesByCut.get(copyCutBytes);
    if (!activities) {
      activities = createActivities({ topology: this.topology, copyCutBytes });
      this.activitiesByCut.set(copyCutBytes, activities);
    }
    return activities;
  }

  async restore(
    file: string,
    targetDatabase: string,
    { jobs, copyCutBytes }: ProductSettings,
  ): Promise<ProductOutcome> {
    const activities = this.activities(copyCutBytes);
    let stage: 'verifyBackup' | 'restoreBackup' = 'verifyBackup';
    try {
      const manifest = await inActivity(() => activities.verifyBackup({ service: SERVICE, file }));
      stage = 'restoreBackup';
      await inActivity(() => activities.restoreBackup({ service: SERVICE, file, targetDatabase, via: 'host', jobs }));
      const report = await inActivity(() =>
        activities.verifyRestoredDatabase({
          service: SERVICE,
          database: targetDatabase,
          expected: manifest.tables,
          skipServiceChecks: true,
        }),
      );
      return { ok: true, failedChecks: report.checks.filter((c) => !c.passed).map((c) => `${c.name}: ${c.detail}`) };
    } catch (err) {
      const e = err as { type?: string; message?: string };
      const message = e.message ?? String(err);
      const line = /\bline (\d+)/.exec(message);
      // COPY rows go over a COPY session of their own: their failure names the table and row, not a line.
      const copyTable = /\((.+) rows #\d+/s.exec(message)?.[1];
      return {
        ok: false,
        stage,
        type: e.type ?? 'Error',
        message,
        line: line ? Number(line[1]) : undefined,
        copyTable,
      };
    }
  }
}

function inActivity<T>(fn: () => Promise<T>): Promise<T> {
  return new MockActivityEnvironment(undefined, { logger: new DefaultLogger('ERROR', () => undefined) }).run(fn);
}
