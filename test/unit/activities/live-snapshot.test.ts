import { describe, expect, it } from 'vitest';
import { describeEstimates } from '../../../client/commands/outcome';
import { tablesToCount } from '../../../activities/live-snapshot';
import { compareRowCounts } from '../../../workflows/restore/prepare';

const table = (name: string, bytes: number) => ({ name, schema: 'public', table: name, bytes, estimatedRows: 0 });

describe('the live snapshot counts exactly within a budget', () => {
  it('counts the smallest tables first while their sizes fit; a table larger than the budget is estimated', () => {
    const tables = [table('events', 900), table('users', 300), table('plans', 100), table('audit', 5_000)];
    expect([...tablesToCount(tables, 1_000)].sort()).toEqual(['plans', 'users']);
    expect([...tablesToCount(tables, 10_000)].sort()).toEqual(['audit', 'events', 'plans', 'users']);
    expect([...tablesToCount(tables, 0)]).toEqual([]);
  });
});

describe('estimates are marked all the way to what the SRE reads', () => {
  const preview = compareRowCounts(
    [
      { table: 'public.events', rows: 1_200_000, estimated: true },
      { table: 'public.users', rows: 10 },
    ],
    [
      { table: 'public.events', rows: 1_000_000 },
      { table: 'public.users', rows: 12 },
    ],
  );

  it('the swap preview marks a difference computed from an estimate', () => {
    expect(preview).toEqual([
      { table: 'public.events', liveRows: 1_200_000, backupRows: 1_000_000, difference: -200_000, estimated: true },
      { table: 'public.users', liveRows: 10, backupRows: 12, difference: 2 },
    ]);
  });

  it('the CLI prints which live counts are estimates, for one service and for a full-system restore', () => {
    expect(describeEstimates({ service: 'hermes', expectedLoss: preview })).toEqual([
      '  hermes: estimated, not counted (large tables): public.events ~1200000 live (-200000 by the swap)',
    ]);
    expect(
      describeEstimates({
        services: [
          { service: 'argus', expectedLoss: [] },
          { service: 'hermes', expectedLoss: preview },
        ],
      }),
    ).toHaveLength(1);
    expect(describeEstimates({ service: 'argus', expectedLoss: compareRowCounts([], []) })).toEqual([]);
  });
});
