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
      requireApproval: false,
      approvalTimeout: 1800,
      skipServiceChecks: false,
      dryRun: false,
      healthTimeoutSeconds: 120,
    });
  });

  it('accepts {} for fullSystemRestore and restoreDrill', () => {
    expect(fullSystemRestoreInputSchema.parse({})).toMatchObject({ timestamp: 'latest', mode: 'swap' });
    expect(restoreDrillInputSchema.parse({})).toEqual({ backup: 'latest', timeoutMinutes: 120 });
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
