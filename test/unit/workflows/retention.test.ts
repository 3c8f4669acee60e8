import { describe, expect, it } from 'vitest';
import type { RestoreCopy } from '../../../shared/activity-contract';
import { decideRetention } from '../../../workflows/retention';

const NOW = Date.parse('2026-12-01T12:00:00Z');
const copy = (madeAt: string, kind: RestoreCopy['kind'] = 'pre-restore'): RestoreCopy => ({
  database: `argus_db_${kind === 'pre-restore' ? 'pre' : 'failed'}_restore_${madeAt.replace(/\D/g, '').slice(0, 14)}_abcdef`,
  kind,
  madeAt,
  sizeBytes: 1000,
});
const rule = { keepNewest: 1, keepDays: 7 };

describe('retention of restore copies', () => {
  it('keeps the newest and the young ones, drops old ones made before the last passed drill', () => {
    const copies = [
      copy('2026-11-01T02:00:00Z'),
      copy('2026-11-30T02:00:00Z'),
      copy('2026-11-10T02:00:00Z', 'failed-restore'),
      copy('2026-11-28T02:00:00Z'),
    ];
    const decisions = decideRetention(copies, rule, NOW, '2026-11-20T03:00:00Z');
    expect(decisions.map((d) => [d.copy.madeAt, d.drop])).toEqual([
      ['2026-11-30T02:00:00Z', false],
      ['2026-11-28T02:00:00Z', false],
      ['2026-11-10T02:00:00Z', true],
      ['2026-11-01T02:00:00Z', true],
    ]);
    expect(decisions[0].reason).toContain('newest');
    expect(decisions[1].reason).toContain('younger than 7 days');
  });

  it('never drops a copy not older than the last passed drill', () => {
    const decisions = decideRetention(
      [copy('2026-11-20T02:00:00Z'), copy('2026-11-02T02:00:00Z'), copy('2026-11-01T02:00:00Z')],
      rule,
      NOW,
      '2026-11-01T12:00:00Z',
    );
    expect(decisions.map((d) => d.drop)).toEqual([false, false, true]);
    expect(decisions[1].reason).toContain('last passed drill');
  });

  it('drops nothing while no drill has passed', () => {
    const decisions = decideRetention(
      [copy('2026-11-20T02:00:00Z'), copy('2026-10-01T02:00:00Z')],
      rule,
      NOW,
      undefined,
    );
    expect(decisions.every((d) => !d.drop)).toBe(true);
    expect(decisions[1].reason).toBe('no drill of this service has passed yet');
  });
});
