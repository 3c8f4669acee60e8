import { setCurrentDetails, setHandler } from '@temporalio/workflow';
import type { RowCountDifference, ServiceProgress, WorkflowProgress } from '../shared/workflow-types';
import type { RestoreProgressUpdate } from '../shared/activity-contract';
import { progressQuery, restoreProgressSignal, swapPreviewQuery } from './definitions';
import { onHostWait } from './host-routing';

/**
 * What the workflow knows about its progress, answered by the `progress` and `swapPreview` queries. A
 * running restore signals its bytes and ETA at milestones only (first bytes, every 10% of the dump, the
 * end: a fixed handful of history events an attempt, however long it runs); the workflow knows the
 * compressed size of the backup in advance and marks all bytes done when the restore returns. Byte-level
 * progress between milestones is in the activity's heartbeat, which `opareta-dr status` merges in.
 */
export class ProgressTracker {
  private step = 'starting';
  private plan: string[] = [];
  private readonly services: Record<string, ServiceProgress> = {};
  private readonly preview: Record<string, RowCountDifference[]> = {};

  constructor() {
    setHandler(progressQuery, () => this.current());
    setHandler(swapPreviewQuery, () => ({ services: this.preview }));
    setHandler(restoreProgressSignal, (update) => this.updateFromRestore(update));
    onHostWait((service, host, waiting) => this.setWaitingForHost(service, host, waiting));
  }

  private setWaitingForHost(service: string, host: string, waiting: boolean): void {
    const progress = this.service(service);
    if (waiting) progress.waitingFor = `a worker on host ${host}`;
    else delete progress.waitingFor;
    this.publish();
  }

  private updateFromRestore(update: RestoreProgressUpdate): void {
    const progress = this.service(update.service);
    // A late signal must not move a finished restore backwards.
    if (progress.bytesDone > update.bytesDone) return;
    Object.assign(progress, {
      bytesDone: update.bytesDone,
      bytesTotal: update.bytesTotal,
      percent: update.percent,
      etaSeconds: update.etaSeconds,
    });
    // The latest update's units, or none: a serial attempt after a parallel one has no units to show. Kept
    // while the restore runs; markBytesDone drops them when it returns (its result has the final counts).
    if (update.units) progress.units = update.units;
    else delete progress.units;
    this.publish();
  }

  current(): WorkflowProgress {
    return { step: this.step, plan: [...this.plan], services: structuredCloneServices(this.services) };
  }

  setStep(step: string, services: string[] = []): void {
    this.step = step;
    for (const service of services) this.service(service).step = step;
    this.publish();
  }

  setServiceStep(service: string, step: string): void {
    this.service(service).step = step;
    this.publish();
  }

  setPlan(plan: string[]): void {
    this.plan = plan;
    this.publish();
  }

  /** The UI shows this under "Current Details" while the workflow runs: the step and each service's progress. */
  private publish(): void {
    const lines = [`**${this.step}**`];
    for (const [service, p] of Object.entries(this.services)) {
      const bytes = p.bytesTotal > 0 ? ` ${p.percent}% of ${Math.round(p.bytesTotal / 1_048_576)} MB` : '';
      const eta = p.etaSeconds ? `, ETA ${p.etaSeconds} s` : '';
      const waiting = p.waitingFor ? ` (waiting for ${p.waitingFor})` : '';
      lines.push(`- ${service}: ${p.step}${bytes}${eta}${waiting}`);
    }
    setCurrentDetails(lines.join('\n'));
  }

  setBytesTotal(service: string, bytesTotal: number): void {
    this.service(service).bytesTotal = bytesTotal;
  }

  /** A restore of another backup (the previous generation, after a broken one) counts its bytes from zero. */
  restartBytes(service: string, bytesTotal: number): void {
    const progress = this.service(service);
    Object.assign(progress, { bytesDone: 0, bytesTotal, percent: 0, etaSeconds: undefined });
    delete progress.units;
  }

  markBytesDone(service: string, bytesDone: number): void {
    const progress = this.service(service);
    progress.bytesDone = bytesDone;
    progress.bytesTotal = Math.max(progress.bytesTotal, bytesDone);
    progress.percent = progress.bytesTotal > 0 ? Math.round((bytesDone / progress.bytesTotal) * 1000) / 10 : 100;
    progress.etaSeconds = 0;
    // The restore returned: no connection is busy and nothing is in flight any more, whatever its last update said.
    delete progress.units;
    this.publish();
  }

  setPreview(service: string, differences: RowCountDifference[]): void {
    this.preview[service] = differences;
  }

  private service(service: string): ServiceProgress {
    this.services[service] ??= { step: 'waiting', bytesDone: 0, bytesTotal: 0, percent: 0 };
    return this.services[service];
  }
}

function structuredCloneServices(services: Record<string, ServiceProgress>): Record<string, ServiceProgress> {
  return Object.fromEntries(Object.entries(services).map(([name, progress]) => [name, { ...progress }]));
}
