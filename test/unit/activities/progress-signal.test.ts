import type { Context } from '@temporalio/activity';
import { describe, expect, it } from 'vitest';
import { createProgressSignaller } from '../../../activities/progress-signal';
import type { RestoreProgressUpdate } from '../../../shared/activity-contract';

/** An activity context whose client records the signals instead of sending them. */
function recordingContext(sent: RestoreProgressUpdate[], release: Promise<void> = Promise.resolve()): Context {
  const handle = {
    signal: async (_name: string, update: RestoreProgressUpdate) => {
      await release;
      sent.push(update);
    },
  };
  return {
    info: { workflowExecution: { workflowId: 'w', runId: 'r' } },
    client: { workflow: { getHandle: () => handle } },
  } as unknown as Context;
}

function at(bytesDone: number, bytesTotal = 1000): RestoreProgressUpdate {
  const percent = Math.round((bytesDone / bytesTotal) * 1000) / 10;
  return { service: 'argus', file: 'a.sql.gz', bytesDone, bytesTotal, percent, bytesPerSecond: 1 };
}

describe('restore progress signaller', () => {
  it('signals the first bytes, each 10% and the end, once each', async () => {
    const sent: RestoreProgressUpdate[] = [];
    const signal = createProgressSignaller(recordingContext(sent));
    for (let bytes = 0; bytes <= 1000; bytes += 5) {
      signal(at(bytes));
      await signal.settled();
    }
    expect(sent.map((u) => u.bytesDone)).toEqual([5, 100, 200, 300, 400, 500, 600, 700, 800, 900, 1000]);
  });

  it('sends a milestone missed while a signal was in flight with the next heartbeat, and no more', async () => {
    const sent: RestoreProgressUpdate[] = [];
    let release!: () => void;
    const slow = new Promise<void>((resolve) => (release = resolve));
    const signal = createProgressSignaller(recordingContext(sent, slow));
    signal(at(50));
    signal(at(150)); // in flight: skipped
    release();
    await signal.settled();
    signal(at(160));
    signal(at(170));
    await signal.settled();
    expect(sent.map((u) => u.bytesDone)).toEqual([50, 160]);
  });
});
