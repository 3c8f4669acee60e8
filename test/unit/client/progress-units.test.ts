import { describe, expect, it } from 'vitest';
import { renderProgress, renderUnits } from '../../../client/progress-bar';
import type { RestoreUnitsProgress } from '../../../shared/activity-contract';

const MB = 1024 * 1024;

describe('per-unit progress of a parallel restore', () => {
  const units: RestoreUnitsProgress = {
    jobs: 2,
    busyConnections: 2,
    unitsDone: 14,
    unitsSkipped: 3,
    resumedFrom: 'public.events rows #7',
    inFlight: [
      { label: 'CREATE INDEX events_created_at_idx', connection: 2, seconds: 3, bytesSent: 120 },
      {
        label: 'public.events rows #9',
        connection: 1,
        seconds: 8,
        bytesSent: 12.3 * MB,
        percent: 41.4,
        etaSeconds: 6.2,
      },
    ],
  };

  it('shows busy connections, units done and skipped, the resume point, then each unit in flight by connection', () => {
    expect(renderUnits(units)).toEqual([
      'connections 2/2 busy · units 14 done (3 skipped, resumed after public.events rows #7)',
      '  [1] public.events rows #9  12.3 MB sent  41% ETA 6 s',
      '  [2] CREATE INDEX events_created_at_idx  120 B sent',
    ]);
  });

  it('leaves out what is absent: no skips, no resume, percent without ETA, nothing in flight', () => {
    const fresh = { jobs: 4, busyConnections: 1, unitsDone: 2, unitsSkipped: 0, inFlight: [] };
    expect(renderUnits(fresh)).toEqual(['connections 1/4 busy · units 2 done']);
    const onlyPercent = {
      ...fresh,
      inFlight: [{ label: 'schema', connection: 1, seconds: 1, bytesSent: 2048, percent: 5 }],
    };
    expect(renderUnits(onlyPercent)[1]).toBe('  [1] schema  2.0 KB sent  5%');
    expect(renderUnits({ ...fresh, unitsSkipped: 3 })[0]).toBe('connections 1/4 busy · units 2 done (3 skipped)');
  });

  it('puts the units under the restore bar of their service, and nothing for a serial restore', () => {
    const service = { step: 'restoring', bytesDone: 50, bytesTotal: 100, percent: 50 };
    const lines = renderProgress({
      step: 'restoring',
      services: { argus: { ...service, units }, hermes: service },
    }).split('\n');
    expect(lines[1]).toMatch(/^argus +\[/);
    expect(lines[2]).toBe(
      '         connections 2/2 busy · units 14 done (3 skipped, resumed after public.events rows #7)',
    );
    expect(lines[3]).toBe('           [1] public.events rows #9  12.3 MB sent  41% ETA 6 s');
    expect(lines[5]).toMatch(/^hermes +\[/);
    expect(lines).toHaveLength(6);
  });
});

describe('a service waiting for its host’s worker', () => {
  it('says which host it waits for beside its bar, and nothing once it goes on', () => {
    const waiting = { step: 'restoring', bytesDone: 0, bytesTotal: 0, percent: 0, waitingFor: 'a worker on host db-b' };
    const [, line] = renderProgress({ step: 'restoring', services: { hermes: waiting } }).split('\n');
    expect(line).toMatch(/^hermes +\[-+\] +0% +restoring \(waiting for a worker on host db-b\)$/);
    const going = { ...waiting, waitingFor: undefined };
    expect(renderProgress({ step: 'restoring', services: { hermes: going } })).not.toContain('waiting');
  });
});
