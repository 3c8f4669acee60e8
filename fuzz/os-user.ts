import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { promisify } from 'node:util';
import { onCleanup } from './cleanup';

const run = promisify(execFile);

export interface OsUser {
  name: string;
  uid: number;
  gid: number;
}

/**
 * initdb and postgres refuse to run as root, and this machine runs everything as root: the servers run as a
 * system user made for this run (no home, no login shell), removed again at the end, on Ctrl-C or on failure.
 */
export async function createThrowawayUser(): Promise<OsUser> {
  const name = `opfuzz${randomBytes(4).toString('hex')}`;
  await run('useradd', ['--system', '--no-create-home', '--shell', '/usr/sbin/nologin', '--user-group', name]);
  onCleanup(`OS user ${name}`, () => removeUser(name));
  const uid = Number((await run('id', ['-u', name])).stdout.trim());
  const gid = Number((await run('id', ['-g', name])).stdout.trim());
  return { name, uid, gid };
}

async function removeUser(name: string): Promise<void> {
  await run('userdel', [name]).catch(async (err: { stderr?: string }) => {
    // A server of this user that has not yet exited keeps it busy for a moment.
    if (!/currently used/.test(err.stderr ?? '')) throw err;
    await new Promise((resolve) => setTimeout(resolve, 2000));
    await run('userdel', ['--force', name]);
  });
}
