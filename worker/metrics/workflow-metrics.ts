/**
 * Runs inside the workflow sandbox (bundled through `interceptors.workflowModules`): deterministic code only.
 * The SDK emits workflow metrics once, not again on replay.
 */
import {
  metricMeter,
  workflowInfo,
  type Next,
  type WorkflowExecuteInput,
  type WorkflowInboundCallsInterceptor,
  type WorkflowInterceptorsFactory,
} from '@temporalio/workflow';
import type { RestoreDrillResult } from '../../shared/workflow-types';
import { MetricName } from './names';

interface RestoreLikeResult {
  outcome?: string;
  downtimeSeconds?: number;
}

class OutcomeMetrics implements WorkflowInboundCallsInterceptor {
  async execute(input: WorkflowExecuteInput, next: Next<WorkflowInboundCallsInterceptor, 'execute'>): Promise<unknown> {
    const result = await next(input);
    const workflowType = workflowInfo().workflowType;
    if (workflowType === 'restoreDrill') recordDrill(result as RestoreDrillResult);
    else if (workflowType === 'restoreDatabase' || workflowType === 'fullSystemRestore') {
      recordRestore(workflowType, result as RestoreLikeResult);
    }
    return result;
  }
}

function recordDrill(result: RestoreDrillResult): void {
  for (const service of result.services ?? []) {
    const meter = metricMeter.withTags({ service: service.service });
    meter
      .createCounter(MetricName.drillOutcomes, 'drills', 'Restore drills by outcome')
      .withTags({ outcome: service.passed ? 'passed' : 'failed' })
      .add(1);
    if (service.restoreSeconds !== undefined) {
      meter
        .createHistogram(MetricName.drillRestoreDuration, 'float', 'seconds', 'Restore time in drills, against the RTO')
        .record(service.restoreSeconds);
    }
    if (service.backupAgeHours !== undefined) {
      meter
        .createHistogram(MetricName.backupAge, 'float', 'hours', 'Backup age at drill time, against the RPO')
        .record(service.backupAgeHours);
    }
  }
}

function recordRestore(workflowType: string, result: RestoreLikeResult): void {
  const meter = metricMeter.withTags({ workflow_type: workflowType });
  meter
    .createCounter(MetricName.restoreOutcomes, 'restores', 'Restores by outcome')
    .withTags({ outcome: result.outcome ?? 'unknown' })
    .add(1);
  if (result.downtimeSeconds !== undefined) {
    meter
      .createHistogram(
        MetricName.downtime,
        'float',
        'seconds',
        'App downtime of a restore: first app stopped to all healthy',
      )
      .record(result.downtimeSeconds);
  }
}

export const interceptors: WorkflowInterceptorsFactory = () => ({ inbound: [new OutcomeMetrics()] });
