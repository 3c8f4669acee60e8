import { ServiceError, WorkflowFailedError, WorkflowUpdateFailedError } from '@temporalio/client';
import { ConfigError } from '../shared/node/topology';
import { CliError, ExitCode } from './output';

/**
 * Wraps a command: any error becomes one clear line on stderr and a meaningful exit code
 * (1 failed, 2 bad input, 3 Temporal or Docker unavailable), never a stack trace at 3 a.m.
 */
export function action<A extends unknown[]>(fn: (...args: A) => Promise<void>): (...args: A) => Promise<void> {
  return async (...args: A) => {
    try {
      await fn(...args);
    } catch (err) {
      const { message, exitCode } = describeError(err);
      process.stderr.write(`opareta-dr: ${message}\n`);
      process.exitCode = exitCode;
    }
  };
}

function describeError(err: unknown): { message: string; exitCode: number } {
  if (err instanceof CliError) return { message: err.message, exitCode: err.exitCode };
  if (err instanceof ConfigError) return { message: err.message, exitCode: ExitCode.usage };
  if (err instanceof WorkflowFailedError) {
    const cause = err.cause as { message?: string; cause?: { message?: string } } | undefined;
    return {
      message: `workflow failed: ${cause?.cause?.message ?? cause?.message ?? err.message}`,
      exitCode: ExitCode.failed,
    };
  }
  if (err instanceof WorkflowUpdateFailedError) {
    // The workflow refused the request (e.g. approval before the restore is verified): its reason, not the wrapper's.
    return { message: (err.cause as Error | undefined)?.message ?? err.message, exitCode: ExitCode.failed };
  }
  const message = (err as Error)?.message ?? String(err);
  if (err instanceof ServiceError || /ECONNREFUSED|connect|UNAVAILABLE|docker\.sock/i.test(message)) {
    return { message: `cannot reach a dependency: ${message}`, exitCode: ExitCode.unavailable };
  }
  return { message, exitCode: ExitCode.failed };
}
