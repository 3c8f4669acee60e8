import { spawn } from 'node:child_process';
import path from 'node:path';
import type { PostgresServer } from './server';

export interface PsqlOutcome {
  ok: boolean;
  exitCode: number;
  /** psql's error output, cut to its last 4 kB. */
  stderr: string;
  /** The dump line psql names in its first ERROR (`psql:FILE:LINE: ERROR:`). */
  line?: number;
}

/** The reference restore: the target's own psql, as superuser, `-v ON_ERROR_STOP=1`, the plain file as input. */
export function restoreWithPsql(server: PostgresServer, file: string, database: string): Promise<PsqlOutcome> {
  const psql = path.join(server.binaries.clientBin, 'psql');
  const child = spawn(psql, ['-X', '-q', '-v', 'ON_ERROR_STOP=1', '-d', database, '-f', file], {
    env: { ...process.env, ...server.clientEnvironment() },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4096)));
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code) => {
      const match = /psql:[^\n]*?:(\d+): ERROR:/.exec(stderr);
      resolve({ ok: code === 0, exitCode: code ?? -1, stderr, line: match ? Number(match[1]) : undefined });
    });
  });
}
