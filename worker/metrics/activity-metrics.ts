import type { Context } from '@temporalio/activity';
import type {
  ActivityExecuteInput,
  ActivityInterceptors,
  Next,
  ActivityInboundCallsInterceptor,
} from '@temporalio/worker';
import type { RestoreResult } from '../../shared/activity-contract';
import { MetricName } from './names';

/** Counts the bytes every restore streamed and how long it took, per service. */
class RestoreMetrics implements ActivityInboundCallsInterceptor {
  constructor(private readonly context: Context) {}

  async execute(input: ActivityExecuteInput, next: Next<ActivityInboundCallsInterceptor, 'execute'>): Promise<unknown> {
    const result = await next(input);
    if (this.context.info.activityType === 'restoreBackup') {
      const restore = result as RestoreResult;
      const meter = this.context.metricMeter.withTags({ service: restore.service });
      meter.createCounter(MetricName.restoreBytes, 'bytes', 'Compressed backup bytes restored').add(restore.bytesRead);
      meter
        .createHistogram(MetricName.restoreDuration, 'float', 'seconds', 'Wall time of one restore stream')
        .record(restore.seconds);
    }
    return result;
  }
}

export function activityMetricsInterceptor(context: Context): ActivityInterceptors {
  return { inbound: new RestoreMetrics(context) };
}
