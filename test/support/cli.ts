import { spawn } from 'node:child_process';
import path from 'node:path';

const root = path.resolve(__dirname, '..', '..');

export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs `npx opareta-dr <args>` from the project folder, as an SRE would; with `cwd`, runs the same bin from
 * that folder instead (npx finds the project's bin only inside the project).
 */
export function runCli(
  args: string[],
  env: Record<string, string>,
  timeoutMs = 300_000,
  cwd?: string,
): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const [command, ...prefix] = cwd
      ? [process.execPath, path.join(root, 'bin', 'opareta-dr.js')]
      : ['npx', '--no-install', 'opareta-dr'];
    const child = spawn(command, [...prefix, ...args], { cwd: cwd ?? root, env: { ...process.env, ...env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`opareta-dr ${args.join(' ')} did not finish in ${timeoutMs} ms:\n${stdout}\n${stderr}`));
    }, timeoutMs);
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}
