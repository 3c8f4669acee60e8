import { rm, rmdir } from 'node:fs/promises';
import { Client, Connection } from '@temporalio/client';
import { sandboxDown, sandboxUp } from '../../sandbox';
import type { Topology } from '../../shared/node/topology';
import { freePort } from '../downtime/temporal';
import { ChaosTemporalServer, chaosTemporalAddress } from './temporal-server';
import { chaosStack, type DerivedTopologyFile } from '../derived-topology';
import { ChaosWorker } from './worker';

export const CHAOS_NAMESPACE = 'default';

/**
 * Everything a scenario runs against, all of it the suite's own: the chaos containers, a Temporal dev
 * server on 7333 and the real worker as a child process, on a task queue of this run.
 */
export class ChaosStack {
  readonly taskQueue = `opareta-dr-chaos-${process.pid}`;
  readonly server = new ChaosTemporalServer();
  worker!: ChaosWorker;
  client!: Client;
  private topologyFile!: DerivedTopologyFile;

  constructor(private readonly log: (line: string) => void) {}

  get topology(): Topology {
    return this.topologyFile.topology;
  }

  async up(): Promise<void> {
    this.topologyFile = await chaosStack.write();
    // A clean start: containers and volumes an interrupted run left go; cached backups stay.
    await sandboxDown({ topology: this.topology, volumes: true, log: this.log });
    await rm(`${chaosStack.dataDir}/temporal.db`, { force: true });
    await this.server.start();
    this.log(`chaos: Temporal dev server on ${chaosTemporalAddress} (pid ${this.server.pid})`);
    await sandboxUp({ topology: this.topology, data: true, backups: false, log: this.log });
    const connection = await Connection.connect({ address: chaosTemporalAddress });
    this.client = new Client({ connection, namespace: CHAOS_NAMESPACE });
    this.worker = new ChaosWorker(
      {
        OPARETA_CONFIG: this.topologyFile.file,
        OPARETA_TASK_QUEUE: this.taskQueue,
        OPARETA_METRICS_PORT: String(await freePort()),
        TEMPORAL_ADDRESS: chaosTemporalAddress,
        TEMPORAL_NAMESPACE: CHAOS_NAMESPACE,
        TEMPORAL_UI_URL: 'http://localhost:8333',
      },
      this.log,
    );
    await this.worker.start();
  }

  /** Stops the worker and the dev server and removes the containers, volumes and secrets; keeps the backups. */
  async down(): Promise<void> {
    await this.worker?.stop().catch((err: unknown) => this.log(`chaos: worker stop: ${String(err)}`));
    await this.client?.connection.close().catch(() => undefined);
    await this.server.stop();
    if (this.topologyFile) {
      await sandboxDown({ topology: this.topology, volumes: true, log: this.log });
      await this.topologyFile.remove();
    }
    await rm(chaosStack.secretsDir, { recursive: true, force: true });
    await rm(`${chaosStack.dataDir}/temporal.db`, { force: true });
    await rmdir(chaosStack.dataDir).catch(() => undefined);
  }
}
