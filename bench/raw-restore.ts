import { spawn } from 'node:child_process';

/** Where the runbook's pipeline restores: a database (already created, empty) in a PostgreSQL container. */
export interface RawRestoreTarget {
  container: string;
  user: string;
  database: string;
}

/**
 * The runbook's restore, nothing else: `gunzip -c FILE | docker exec -i CONTAINER psql -X -q -v ON_ERROR_STOP=1
 * -U USER -d DATABASE`. gunzip's stdout is handed to docker's stdin as a file descriptor: nothing of ours in
 * between. Returns the seconds from gunzip's start to both processes' exit.
 */
export async function gunzipIntoPsql(file: string, target: RawRestoreTarget): Promise<number> {
  const started = process.hrtime.bigint();
  const gunzip = spawn('gunzip', ['-c', file], { stdio: ['ignore', 'pipe', 'inherit'] });
  const psql = spawn(
    'docker',
    [
      'exec',
      '-i',
      target.container,
      'psql',
      '-X',
      '-q',
      '-v',
      'ON_ERROR_STOP=1',
      '-U',
      target.user,
      '-d',
      target.database,
    ],
    { stdio: [gunzip.stdout, 'ignore', 'inherit'] },
  );
  const [gunzipCode, psqlCode] = await Promise.all(
    // 'exit', not 'close': gunzip's stdout also stays open in this process, unread, and would never close.
    [gunzip, psql].map((child) => new Promise<number | null>((resolve) => child.on('exit', resolve))),
  );
  if (gunzipCode !== 0 || psqlCode !== 0) throw new Error(`raw restore failed: gunzip ${gunzipCode}, psql ${psqlCode}`);
  return Number(process.hrtime.bigint() - started) / 1e9;
}
