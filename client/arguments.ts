import type { z } from 'zod';
import { CliError, ExitCode } from './output';

/** A number of seconds such as "2" or "0.5": anything else, zero or negative is bad input (exit 2). */
export function parsePositiveSeconds(flag: string, value: string): number {
  const seconds = Number(value);
  if (value.trim() === '' || !Number.isFinite(seconds) || seconds <= 0) {
    throw new CliError(
      `${flag} must be a number of seconds greater than 0, e.g. 2 or 0.5; got "${value}"`,
      ExitCode.usage,
    );
  }
  return seconds;
}

/** A whole number of at least 1 (and at most `max`). */
export function parsePositiveInteger(flag: string, value: string, max = 10_000): number {
  const n = Number(value);
  if (!/^\d+$/.test(value.trim()) || n < 1 || n > max) {
    throw new CliError(`${flag} must be a whole number from 1 to ${max}; got "${value}"`, ExitCode.usage);
  }
  return n;
}

/**
 * The workflow's own input schema, checked before starting it: a bad field is exit 2, named like the workflow
 * would. Returns the input as given, typed (the workflow applies the defaults itself).
 */
export function checkWorkflowInput<Schema extends z.ZodType>(
  workflowType: string,
  schema: Schema,
  input: unknown,
): z.input<Schema> {
  const parsed = schema.safeParse(input);
  if (parsed.success) return input as z.input<Schema>;
  const problems = parsed.error.issues.map((issue) => `${issue.path.join('.') || 'input'}: ${issue.message}`);
  throw new CliError(`${workflowType} input is invalid: ${problems.join('; ')}`, ExitCode.usage);
}
