import os from 'node:os';
import { NativeConnection, Runtime, Worker } from '@temporalio/worker';
import { createActivities } from '../activities';
import { settings } from '../shared/node/settings';
import { describeTemporalTarget, temporalConnectConfig } from '../shared/node/temporal-connection';
import { ConfigError, loadTopology } from '../shared/node/topology';
import { planQueues } from './host-activities';
import { workerHostFrom } from './host-option';
import { installLastResortHandlers } from './last-resort';
import { activityMetricsInterceptor } from './metrics/activity-metrics';
import { warnAboutSuperusers } from './privilege-check';
import { ensureSearchAttributes } from './search-attributes';
import { installRuntime } from './telemetry';
import { workflowCodeOptions } from './workflow-code';

installLastResortHandlers((level, message, meta) =>
  process.stdout.write(JSON.stringify({ time: new Date().toISOString(), level, message, ...meta }) + '\n'),
);

async function main(): Promise<void> {
  // A bad config stops the worker before it polls, with the field named (shared/node/topology.ts).
  const topology = loadTopology(settings.configFile);
  const host = workerHostFrom(process.argv.slice(2), process.env);
  // Which queues this worker polls with what: a host that runs no service stops here, named.
  const queues = planQueues(topology, settings.taskQueue, host, (t) => createActivities({ topology: t }));
  installRuntime(settings.metricsPort);

  const temporal = temporalConnectConfig();
  const connection = await NativeConnection.connect(temporal.connectionOptions);
  try {
    // Any server, any namespace: the compose deployment and a fresh namespace get them here, not by hand.
    await ensureSearchAttributes(connection.operatorService, temporal.namespace, Runtime.instance().logger);
    const { workflowModules, source: workflowCode, ...workflows } = workflowCodeOptions();
    const identity = `${process.pid}@${os.hostname()} host=${host ?? 'none'}`;
    const workers = await Promise.all(
      queues.map((queue) =>
        Worker.create({
          connection,
          namespace: temporal.namespace,
          taskQueue: queue.taskQueue,
          identity,
          ...(queue.workflows ? workflows : {}),
          activities: queue.activities,
          interceptors: { activity: [activityMetricsInterceptor], ...(queue.workflows ? { workflowModules } : {}) },
          // Restore progress reaches the server (and `opareta-dr status`) every few seconds, not every 48 s.
          maxHeartbeatThrottleInterval: '3s',
          // A restore in flight gets time to notice the shutdown and clean up its side database.
          shutdownGraceTime: '20s',
        }),
      ),
    );
    console.log(
      JSON.stringify({
        level: 'INFO',
        message: 'worker polling',
        host: host ?? null,
        taskQueue: settings.taskQueue,
        queues: queues.map((q) => ({ taskQueue: q.taskQueue, workflows: q.workflows, services: q.services })),
        identity,
        temporal: describeTemporalTarget(temporal),
        topology: topology.name,
        config: settings.configFile,
        metrics: `http://localhost:${settings.metricsPort}/metrics`,
        workflowCode,
      }),
    );
    const services = [...new Set(queues.flatMap((q) => q.services))];
    void warnAboutSuperusers(topology, services, (entry) => console.log(JSON.stringify(entry)));
    // Each Worker stops gracefully on SIGINT/SIGTERM (Ctrl-C); one that fails stops the others too.
    await runTogether(workers);
  } finally {
    await connection.close();
  }
}

async function runTogether(workers: Worker[]): Promise<void> {
  await Promise.all(
    workers.map((worker) =>
      worker.run().catch((err: unknown) => {
        for (const other of workers) if (other !== worker && other.getState() === 'RUNNING') other.shutdown();
        throw err;
      }),
    ),
  );
}

main().catch((err: unknown) => {
  const message = err instanceof ConfigError ? err.message : ((err as Error).stack ?? String(err));
  console.error(`worker failed to start: ${message}`);
  process.exit(1);
});
