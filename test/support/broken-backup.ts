import { copyFile, open, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { backups, sandboxService } from './sandbox-db';

function stamp(date: Date): string {
  return date.toISOString().replace(/[-:]/g, '').replace('T', '_').slice(0, 15);
}

/**
 * Writes a newer "latest" backup of a service that is the real latest one cut in half, as a backup job
 * killed mid-write would leave it. Returns its name and a function that removes it.
 */
export async function plantTruncatedLatest(service: string): Promise<{ file: string; remove: () => Promise<void> }> {
  const config = sandboxService(service);
  const latest = (await backups(service))[0];
  const newer = new Date(Date.parse(latest.takenAt) + 60_000);
  const file = `${service}_${stamp(newer)}.sql.gz`;
  const target = path.join(config.backupDirectory, file);
  await copyFile(path.join(config.backupDirectory, latest.file), target);
  const handle = await open(target, 'r+');
  try {
    await handle.truncate(Math.floor((await stat(target)).size / 2));
  } finally {
    await handle.close();
  }
  return { file, remove: () => rm(target, { force: true }) };
}
