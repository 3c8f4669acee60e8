import { describe, expect, it } from 'vitest';
import { checkWorkflowInput, parsePositiveInteger, parsePositiveSeconds } from '../../../client/arguments';
import { CliError, ExitCode } from '../../../client/output';
import { cliIdentity } from '../../../client/temporal';
import { restoreDatabaseInputSchema } from '../../../shared/workflow-types';
import { restoreDatabase } from '../../../workflows';

function usageError(fn: () => unknown): CliError {
  try {
    fn();
  } catch (err) {
    if (err instanceof CliError) {
      expect(err.exitCode).toBe(ExitCode.usage);
      return err;
    }
    throw err;
  }
  throw new Error('expected a usage error');
}

describe('CLI arguments', () => {
  it('--interval takes seconds above zero, fractions too', () => {
    expect(parsePositiveSeconds('--interval', '2')).toBe(2);
    expect(parsePositiveSeconds('--interval', '0.5')).toBe(0.5);
    for (const bad of ['abc', '0', '-1', '', 'Infinity', '2s']) {
      expect(usageError(() => parsePositiveSeconds('--interval', bad)).message).toBe(
        `--interval must be a number of seconds greater than 0, e.g. 2 or 0.5; got "${bad}"`,
      );
    }
  });

  it('--limit takes a whole number from 1', () => {
    expect(parsePositiveInteger('--limit', '50')).toBe(50);
    for (const bad of ['abc', '0', '1.5', '-3', '']) {
      expect(usageError(() => parsePositiveInteger('--limit', bad)).message).toContain(
        '--limit must be a whole number',
      );
    }
  });

  it('checks the workflow input before starting it, naming the field', () => {
    const input = { service: 'argus', approvalTimeout: '1e300' };
    expect(
      usageError(() => checkWorkflowInput(restoreDatabase.name, restoreDatabaseInputSchema, input)).message,
    ).toMatch(/^restoreDatabase input is invalid: approvalTimeout: /);
    expect(() =>
      checkWorkflowInput(restoreDatabase.name, restoreDatabaseInputSchema, { service: 'argus' }),
    ).not.toThrow();
  });

  it('sends a client identity that names the person and the host', () => {
    expect(cliIdentity()).toMatch(/^\S+@\S+ via opareta-dr$/);
  });
});
