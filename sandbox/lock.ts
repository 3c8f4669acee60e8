import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { settings } from '../shared/node/settings';

/**
 * Runs `task` while holding a lock directory under .data/sandbox/locks, so two processes (npm start and
 * npm test, say) do not build the same image or create the same container at once. A lock whose owner
 * process has died is taken over.
 */
export async function withLock<T>(name: string, task: () => Promise<T>): Promise<T> {
  const lock = path.join(settings.dataDir, 'sandbox', 'locks', name);
  await mkdir(path.dirname(lock), { recursive: true });
  for (;;) {
    try {
      await mkdir(lock);
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const owner = Number(await readFile(path.join(lock, 'pid'), 'utf8').catch(() => '0'));
      if (owner && owner !== process.pid && processAlive(owner)) {
        await new Promise((resolve) => setTimeout(resolve, 500));
      } else if (owner === process.pid) {
        throw new Error(`lock ${name} is already held by this process`);
      } else {
        await rm(lock, { recursive: true, force: true });
      }
    }
  }
  try {
    await writeFile(path.join(lock, 'pid'), String(process.pid));
    return await task();
  } finally {
    await rm(lock, { recursive: true, force: true });
  }
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
