import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';

const root = path.resolve(__dirname, '..', '..');

export interface WorkerProcess {
  child: ChildProcess;
  output: () => string;
  stop: (signal?: NodeJS.Signals) => Promise<void>;
}

/**
 * How to run the worker: `npm test` builds first and sets OPARETA_TEST_WORKER=dist, so the tests run the
 * compiled worker with its prebundled workflows, as `npm start` and the image do; a test file run on its own
 * runs the sources (node with tsx's loader, not the tsx CLI: the CLI runs the worker in a child process of its
 * own, so a SIGKILL sent to it would leave the real worker running).
 */
export function workerCommand(entry = process.env.OPARETA_TEST_WORKER): string[] {
  if (entry === 'dist') return [path.join(root, 'dist', 'worker', 'main.js')];
  return ['--import', 'tsx', path.join(root, 'worker', 'main.ts')];
}

/** Starts the real worker as its own process and waits until it polls. */
export async function startWorkerProcess(
  env: Record<string, string>,
  readyTimeoutMs = 120_000,
  entry?: 'dist' | 'source',
): Promise<WorkerProcess> {
  const child = spawn(process.execPath, workerCommand(entry), {
    cwd: root,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));

  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`worker not polling after ${readyTimeoutMs} ms:\n${output}`)),
      readyTimeoutMs,
    );
    const check = () => {
      if (output.includes('worker polling')) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout?.on('data', check);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`worker exited with ${code} before polling:\n${output}`));
    });
  });

  return {
    child,
    output: () => output,
    stop: async (signal: NodeJS.Signals = 'SIGTERM') => {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      await exited;
    },
  };
}
