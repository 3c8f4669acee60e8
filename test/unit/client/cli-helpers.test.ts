import { describe, expect, it } from 'vitest';
import { describeStandby, isSuccess } from '../../../client/commands/outcome';
import { formatBytes, formatDuration, table } from '../../../client/output';
import { renderProgress } from '../../../client/progress-bar';
import { parseSince } from '../../../client/since';

describe('CLI helpers', () => {
  it('parses --since durations and ISO times, and refuses anything else', () => {
    const now = new Date('2026-11-24T00:00:00Z');
    expect(parseSince('30d', now).toISOString()).toBe('2026-10-25T00:00:00.000Z');
    expect(parseSince('12h', now).toISOString()).toBe('2026-11-23T12:00:00.000Z');
    expect(parseSince('2026-11-01T00:00:00Z', now).toISOString()).toBe('2026-11-01T00:00:00.000Z');
    expect(() => parseSince('yesterday', now)).toThrow(/--since "yesterday"/);
  });

  it('draws a progress bar with bytes, percent and ETA per service', () => {
    const text = renderProgress({
      step: 'restoring',
      services: {
        hermes: {
          step: 'restore',
          bytesDone: 512 * 1024 * 1024,
          bytesTotal: 1024 * 1024 * 1024,
          percent: 50,
          etaSeconds: 75,
        },
      },
    });
    expect(text).toContain('step: restoring');
    expect(text).toContain('[' + '#'.repeat(15) + '-'.repeat(15) + ']  50% 512.0 MB / 1.0 GB ETA 1m15s');
  });

  it('formats tables, sizes and durations', () => {
    expect(table([{ a: 1, b: 'x' }], ['a', 'b'])).toBe('A  B\n1  x');
    expect(formatBytes(1536)).toBe('1.5 KB');
    expect(formatDuration(3725)).toBe('1h02m');
  });

  it('tells success from failure for the exit code', () => {
    expect(isSuccess({ passed: true })).toBe(true);
    expect(isSuccess({ passed: false })).toBe(false);
    expect(isSuccess({ outcome: 'restored' })).toBe(true);
    expect(isSuccess({ outcome: 'rolled-back' })).toBe(false);
  });

  it('says what a drill did about the warm standby, and whether a restore used it', () => {
    expect(
      describeStandby({
        standby: {
          kept: true,
          database: 'argus_db_standby_x',
          sizeBytes: 12 * 1024 ** 2,
          backupFile: 'a.sql.gz',
          dropped: ['old'],
        },
      }),
    ).toEqual([
      '           standby kept: argus_db_standby_x (12.0 MB on disk) of a.sql.gz',
      '           standbys dropped: old',
    ]);
    expect(describeStandby({ standby: { kept: false, reason: 'the drill did not pass', dropped: [] } })).toEqual([
      '           no standby kept: the drill did not pass',
    ]);
    expect(describeStandby({ fromStandby: true, standby: 'argus_db_standby_x' })).toEqual([
      '           from the warm standby argus_db_standby_x: no restore, only the swap',
    ]);
    expect(describeStandby({ fromStandby: false, standbyUnusedReason: 'the input said useStandby: false' })).toEqual([
      '           standby not used: the input said useStandby: false',
    ]);
    // Results from before the warm standby say nothing about it.
    expect(describeStandby({ outcome: 'restored' })).toEqual([]);
  });
});
