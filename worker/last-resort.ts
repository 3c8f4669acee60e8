import { UnhandledRejectionError } from '@temporalio/worker';

export type LastResortLog = (level: 'ERROR' | 'FATAL', message: string, meta: Record<string, unknown>) => void;

/**
 * What the process does with an error nobody handled.
 *
 * A promise rejected with no handler in an activity (a missing `await`, a result nobody waited for) is a bug
 * in that activity, not in the worker: the attempt it belongs to still ends on its own (its own error, or a
 * heartbeat or start-to-close timeout, then Temporal's retry). Ending the process for it would cut off every
 * other activity and workflow task in flight, so it is logged, loudly and with its stack, and the worker goes
 * on. The Temporal SDK registers its own `unhandledRejection` listener when the worker is created: it hands
 * rejections of workflow code to their workflow task, and throws an UnhandledRejectionError for any other,
 * which would end the process as an uncaught exception. Both roads lead here.
 *
 * Any other uncaught exception (a thrown error in a callback, an 'error' event without a listener) leaves the
 * process in a state nobody knows: it is logged and the process exits 1, for its supervisor (`npm start`,
 * the compose restart policy) to start a fresh one. Temporal retries what the old one had in flight.
 */
export function installLastResortHandlers(log: LastResortLog, exit: (code: number) => void = process.exit): void {
  process.on('uncaughtException', (err: unknown, origin) => {
    const unhandledRejection = origin === 'unhandledRejection' || err instanceof UnhandledRejectionError;
    if (unhandledRejection) {
      const cause = err instanceof UnhandledRejectionError ? err.cause : err;
      log('ERROR', 'unhandled promise rejection (a bug: a promise nobody awaited); the worker goes on', {
        error: describe(cause),
      });
      return;
    }
    log('FATAL', 'uncaught exception; the worker exits for its supervisor to restart it', {
      origin,
      error: describe(err),
    });
    exit(1);
  });
}

function describe(err: unknown): string {
  return err instanceof Error ? (err.stack ?? err.message) : String(err);
}
