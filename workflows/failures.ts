import { ActivityFailure, ApplicationFailure, ChildWorkflowFailure, isCancellation } from '@temporalio/workflow';
import { ErrorType } from '../shared/errors';

/** The ApplicationFailure type behind an activity or child failure, e.g. "BackupTruncated". */
export function failureType(err: unknown): string | undefined {
  let current: unknown = err;
  while (current instanceof ActivityFailure || current instanceof ChildWorkflowFailure) current = current.cause;
  return current instanceof ApplicationFailure ? (current.type ?? undefined) : undefined;
}

/** The innermost message, which is what an SRE needs, not "Activity task failed". */
export function failureMessage(err: unknown): string {
  let current: unknown = err;
  while ((current instanceof ActivityFailure || current instanceof ChildWorkflowFailure) && current.cause) {
    current = current.cause;
  }
  return current instanceof Error ? current.message : String(current);
}

export function invalidInput(message: string): ApplicationFailure {
  return ApplicationFailure.create({ message, type: ErrorType.InvalidInput, nonRetryable: true });
}

export { isCancellation };
