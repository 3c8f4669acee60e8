import type { z } from 'zod';
import { invalidInput } from './failures';

/** Parses a workflow input with defaults; bad input fails the workflow at once, naming every bad field. */
export function parseInput<Schema extends z.ZodType>(
  workflow: string,
  schema: Schema,
  input: unknown,
): z.output<Schema> {
  const parsed = schema.safeParse(input ?? {});
  if (parsed.success) return parsed.data;
  const problems = parsed.error.issues.map((issue) => {
    const field = issue.path.length ? issue.path.join('.') : 'input';
    return `${field}: ${issue.message}`;
  });
  throw invalidInput(`${workflow} input is invalid: ${problems.join('; ')}`);
}
