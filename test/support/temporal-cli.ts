import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';

const root = path.resolve(__dirname, '..', '..');
const run = promisify(execFile);

/** The Temporal CLI that the set-up installed (or the one on PATH). */
export function temporalCliPath(): string {
  const local = path.join(root, '.tools', 'temporal', 'bin', 'temporal');
  return process.env.TEMPORAL_CLI_PATH ?? (existsSync(local) ? local : 'temporal');
}

export async function temporalCli(args: string[], timeoutMs = 600_000): Promise<string> {
  const { stdout } = await run(temporalCliPath(), args, { timeout: timeoutMs, maxBuffer: 64 * 1024 * 1024 });
  return stdout;
}
