import { spawn } from 'node:child_process';
import path from 'node:path';
import type { PostgresServer } from './server';

/** The source server's own pg_dump (13's for the 12 server), plain format, into `file`. */
export function runPgDump(server: PostgresServer, database: string, options: string[], file: string): Promise<void> {
  const { clientBin, clientLibraryPath } = server.binaries;
  const child = spawn(path.join(clientBin, 'pg_dump'), [...options, '-f', file, '-d', database], {
    env: {
      ...process.env,
      ...server.clientEnvironment(),
      ...(clientLibraryPath ? { LD_LIBRARY_PATH: clientLibraryPath } : {}),
    },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4096)));
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code) =>
      code === 0 ? resolve() : reject(new Error(`pg_dump ${options.join(' ')} exited ${code}: ${stderr.trim()}`)),
    );
  });
}
