import { ApplicationFailure } from '@temporalio/common';
import { NON_RETRYABLE, type ErrorTypeName } from '../shared/errors';

/** An ApplicationFailure of one of our types; retryable unless the type describes bad input or a bad backup. */
export function failure(type: ErrorTypeName, message: string, cause?: unknown): ApplicationFailure {
  return ApplicationFailure.create({
    type,
    message,
    nonRetryable: NON_RETRYABLE.includes(type),
    cause: cause instanceof Error ? cause : undefined,
  });
}

export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
