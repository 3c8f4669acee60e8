import { NativeConnection, Runtime, Worker } from '@temporalio/worker';
import { createActivities } from '../activities';
import { settings } from '../shared/node/settings';
import { describeTemporalTarget, temporalConnectConfig } from '../shared/node/temporal-connection';
import { ConfigError, loadTopology } from '../shared/node/topology';
import { installLastResortHandlers } from './last-resort';
import { activityMetricsInterceptor } from './metrics/activity-metrics';
import { ensureSearchAttributes } from './search-attributes';
import { installRuntime } from './telemetry';
import { workflowCodeOptions } from './workflow-code';

installLastResortHandlers((level, message, meta) =>
  process.stdout.write(JSON.stringify({ time: new Date().toISOString(), level, message, ...meta }) + '\n'),
);

async function main(): Promise<void> {
  // A bad config stops the worker before it polls, with the field named (shared/node/topology.ts).
  const topology = loadTopology(settings.configFile);
  installRuntime(settings.metricsPort);

  const temporal = temporalConnectConfig();
  const connection = await NativeConnection.connect(temporal.connectionOptions);
  try {
    // Any server, any namespace: the compose deployment and a fresh namespace get them here, not by hand.
    await ensureSearchAttributes(connection.operatorService, temporal.namespace, Runtime.instance().logger);
    const { workflowModules, source: workflowCode, ...workflows } = workflowCodeOptions();
    const worker = await Worker.create({
      connection,
      namespace: temporal.namespace,
      taskQueue: settings.taskQueue,
      ...workflows,
      activities: createActivities({ topology }),
      interceptors: { activity: [activityMetricsInterceptor], workflowModules },
      // Restore progress reaches the server (and `opareta-dr status`) every few seconds, not every 48 s.
      maxHeartbeatThrottleInterval: '3s',
      // A restore in flight gets time to notice the shutdown and clean up its side database.
      shutdownGraceTime: '20s',
    });
    console.log(
      JSON.stringify({
        level: 'INFO',
        message: 'worker polling',
        taskQueue: settings.taskQueue,
        temporal: describeTemporalTarget(temporal),
        topology: topology.name,
        config: settings.configFile,
        metrics: `http://localhost:${settings.metricsPort}/metrics`,
        workflowCode,
      }),
    );
    // Worker.run() stops gracefully on SIGINT/SIGTERM (Ctrl-C).
    await worker.run();
  } finally {
    await connection.close();
  }
}

main().catch((err: unknown) => {
  const message = err instanceof ConfigError ? err.message : ((err as Error).stack ?? String(err));
  console.error(`worker failed to start: ${message}`);
  process.exit(1);
});
