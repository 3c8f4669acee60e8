import { Context } from '@temporalio/activity';
import type { Client } from 'pg';
import type { RestoreCopy } from '../shared/activity-contract';
import { ErrorType } from '../shared/errors';
import type { ServiceConfig } from '../shared/node/topology';
import type { ContainerClient } from './docker';
import { failure } from './errors';

const GB = 1024 ** 3;

/** Free bytes on the volume of PostgreSQL's data directory, read with `df` inside the database container. */
export async function freeBytesOnDataVolume(containers: ContainerClient, config: ServiceConfig): Promise<number> {
  const result = await containers.exec(config.databaseContainer, ['df', '-Pk', '--', config.dataDirectory], {
    user: 'nobody',
  });
  // POSIX format: a header, then "Filesystem 1024-blocks Used Available Capacity Mounted-on".
  const fields = result.stdout.trim().split('\n').at(-1)?.trim().split(/\s+/) ?? [];
  const availableKb = Number(fields[3]);
  if (result.exitCode !== 0 || !Number.isFinite(availableKb)) {
    throw new Error(
      `cannot read free space of ${config.dataDirectory} in ${config.databaseContainer}: ${result.stderr}`,
    );
  }
  return availableKb * 1024;
}

/** Refuses a side restore the volume cannot hold, before anything is created. */
export async function checkDiskRoom(
  containers: ContainerClient,
  config: ServiceConfig,
  service: string,
  neededBytes: number,
): Promise<{ freeBytes: number; neededBytes: number }> {
  const freeBytes = await freeBytesOnDataVolume(containers, config);
  if (freeBytes < neededBytes) {
    throw failure(
      ErrorType.InsufficientDiskSpace,
      `${service}: a side restore needs about ${(neededBytes / GB).toFixed(1)} GB on the volume of ` +
        `${config.dataDirectory} in ${config.databaseContainer}, which has ${(freeBytes / GB).toFixed(1)} GB free; ` +
        'nothing was changed. Free space (pruneRestoreCopies drops old _pre_restore_ copies) or restore in-place.',
    );
  }
  return { freeBytes, neededBytes };
}

/** `<db>_pre_restore_<YYYYMMDDHHMMSS>_<run>` and `<db>_failed_restore_...`, as restores name them. */
export async function listRestoreCopies(client: Client, live: string): Promise<RestoreCopy[]> {
  const result = await client.query<{ datname: string; size: string }>(
    `SELECT datname, pg_database_size(datname) AS size FROM pg_database
      WHERE left(datname, length($1) + 1) = $1 || '_' ORDER BY datname`,
    [live],
  );
  const copies: RestoreCopy[] = [];
  for (const row of result.rows) {
    const match = /^_(pre|failed)_restore_(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})_[0-9a-f]{6}$/.exec(
      row.datname.slice(live.length),
    );
    if (!match) continue;
    const [, kind, y, mo, d, h, mi, s] = match;
    copies.push({
      database: row.datname,
      kind: kind === 'pre' ? 'pre-restore' : 'failed-restore',
      madeAt: `${y}-${mo}-${d}T${h}:${mi}:${s}Z`,
      sizeBytes: Number(row.size),
    });
  }
  return copies;
}

/** The start of the newest drill of the service that passed, from Temporal visibility (the drill's own record). */
export async function lastPassedDrill(service: string): Promise<string | undefined> {
  const { client } = Context.current();
  const query = `OparetaKind = 'drill-service' AND OparetaService = '${service}' AND OparetaOutcome = 'passed'`;
  let newest: Date | undefined;
  for await (const execution of client.workflow.list({ query })) {
    if (!newest || execution.startTime > newest) newest = execution.startTime;
  }
  return newest?.toISOString();
}
