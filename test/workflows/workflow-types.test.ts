import { describe, expect, it } from 'vitest';
import {
  fullSystemRestoreInputSchema,
  parseDurationSeconds,
  restoreDatabaseInputSchema,
  restoreDrillInputSchema,
} from '../../shared/workflow-types';

describe('workflow inputs', () => {
  it('accepts {"service":"argus"} for restoreDatabase and fills the defaults', () => {
    expect(restoreDatabaseInputSchema.parse({ service: 'argus' })).toEqual({
      service: 'argus',
      backup: 'latest',
      mode: 'swap',
      approvalTimeout: 1800,
      skipServiceChecks: false,
      dryRun: false,
      healthTimeoutSeconds: 120,
      useStandby: true,
    });
  });

  it('accepts {} for fullSystemRestore and restoreDrill', () => {
    expect(fullSystemRestoreInputSchema.parse({})).toMatchObject({ timestamp: 'latest', mode: 'swap' });
    expect(restoreDrillInputSchema.parse({})).toEqual({ backup: 'latest', timeoutMinutes: 120 });
  });

  it('bounds approvalTimeout at 24 h, naming the limit', () => {
    expect(restoreDatabaseInputSchema.parse({ service: 'argus', approvalTimeout: '24h' }).approvalTimeout).toBe(86_400);
    expect(fullSystemRestoreInputSchema.parse({ approvalTimeout: 86_400 }).approvalTimeout).toBe(86_400);
    for (const approvalTimeout of [1e300, 86_401, '25h', '1441m', Number.MAX_VALUE]) {
      const parsed = restoreDatabaseInputSchema.safeParse({ service: 'argus', approvalTimeout });
      expect(parsed.success).toBe(false);
      expect(parsed.error?.issues[0]).toMatchObject({
        path: ['approvalTimeout'],
        message: 'must be at most 24h (86400 s)',
      });
    }
  });

  it('leaves requireApproval unset for the deployment to decide', () => {
    expect(restoreDatabaseInputSchema.parse({ service: 'argus' }).requireApproval).toBeUndefined();
    expect(fullSystemRestoreInputSchema.parse({ requireApproval: false }).requireApproval).toBe(false);
  });

  it('refuses unknown fields, so a typo is not silently ignored', () => {
    expect(restoreDatabaseInputSchema.safeParse({ service: 'argus', dryrun: true }).success).toBe(false);
  });

  it.each([
    ['30m', 1800],
    ['1h30m', 5400],
    ['90s', 90],
    ['45', 45],
    [600, 600],
    ['0', undefined],
    ['soon', undefined],
    ['', undefined],
    [-5, undefined],
  ] as const)('reads the duration %j as %j seconds', (value, seconds) => {
    expect(parseDurationSeconds(value)).toBe(seconds);
  });
});
