import { log } from '@temporalio/activity';
import { ErrorType } from '../shared/errors';
import type { ServiceConfig } from '../shared/node/topology';
import type { ContainerClient } from './docker';
import { errorMessage, failure } from './errors';
import { CONTAINER_PSQL_USER } from './psql-process';

/** More connections than this load no faster on any server we know, and each holds a unit's worth of input. */
const MAX_DEFAULT_JOBS = 8;
const MAX_JOBS = 32;

/**
 * How many connections a restore loads with: the request's `jobs`, else the service's `restoreJobs`, else the
 * database server's CPU count (its container's `nproc`), at most 8.
 */
export async function restoreJobs(
  containers: ContainerClient,
  config: ServiceConfig,
  requested: number | undefined,
): Promise<number> {
  if (requested !== undefined) {
    if (!Number.isInteger(requested) || requested < 1 || requested > MAX_JOBS) {
      throw failure(ErrorType.InvalidInput, `jobs must be a whole number from 1 to ${MAX_JOBS}, got ${requested}`);
    }
    return requested;
  }
  if (config.restoreJobs !== undefined) return config.restoreJobs;
  try {
    const result = await containers.exec(config.databaseContainer, ['nproc'], { user: CONTAINER_PSQL_USER });
    const cpus = Number(result.stdout.trim());
    if (result.exitCode === 0 && Number.isInteger(cpus) && cpus > 0) return Math.min(cpus, MAX_DEFAULT_JOBS);
  } catch (err) {
    log.warn('cannot count the database server CPUs; restoring with 2 connections', { error: errorMessage(err) });
  }
  return 2;
}
