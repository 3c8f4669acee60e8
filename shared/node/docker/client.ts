import Docker from 'dockerode';

let instance: Docker | undefined;

/**
 * The one Docker client of the process. dockerode reads DOCKER_HOST when it is set and uses the local socket
 * otherwise; made on first use, so that code importing this module (the unit tests) never needs an engine.
 */
export function docker(): Docker {
  instance ??= new Docker();
  return instance;
}

/** Docker's HTTP status behind an error, also when this module wrapped the error as its cause. */
export function dockerStatus(err: unknown): number | undefined {
  const own = (err as { statusCode?: unknown } | undefined)?.statusCode;
  if (typeof own === 'number') return own;
  const cause = (err as { cause?: unknown } | undefined)?.cause;
  return cause === undefined ? undefined : dockerStatus(cause);
}

/** True when Docker answered 404: no such container, exec or image. */
export function isNotFound(err: unknown): boolean {
  return dockerStatus(err) === 404;
}

/** A plain error naming what failed, keeping Docker's own error (and its status code) as the cause. */
export function dockerError(what: string, err: unknown): Error {
  const message = err instanceof Error ? err.message : String(err);
  return new Error(`${what} failed: ${message}`, { cause: err });
}

/** Runs a Docker call; its failure becomes a plain error saying `what` failed. */
export async function dockerCall<T>(what: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (err) {
    throw dockerError(what, err);
  }
}

/** Docker's answer, or undefined when it has no such object. */
export async function unlessMissing<T>(what: string, call: () => Promise<T>): Promise<T | undefined> {
  try {
    return await dockerCall(what, call);
  } catch (err) {
    if (isNotFound(err)) return undefined;
    throw err;
  }
}

/** The error for a name that designates no container (Docker's own 404 carries no such status otherwise). */
export class NoSuchContainerError extends Error {
  readonly statusCode = 404;
  constructor(readonly container: string) {
    super(`container ${container} does not exist`);
  }
}
