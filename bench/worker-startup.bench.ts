import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { Connection } from '@temporalio/client';
import { projectRoot } from '../shared/node/settings';
import { freePort } from './downtime/temporal';

/**
 * Issue 10's measurement: how long the worker takes from `node` to polling, run from the TypeScript sources
 * (tsx, webpack bundling the workflows at every start: how `npm start` ran it before the build) and from the
 * build (`npm run build`: plain JavaScript, prebundled workflows: how `npm start` and the image run it now).
 * Alternating rounds on a Temporal dev server of the bench's own (in memory, a free port), so both see the
 * same machine. Last line (medians): `worker startup source_seconds=<a> built_seconds=<b> rounds=<n>`.
 */
const ROUNDS = Number(process.env.BENCH_STARTUP_ROUNDS ?? 5);
const READY_MS = 180_000;
const temporalBinary = process.env.TEMPORAL_CLI_PATH ?? path.join(projectRoot, '.tools', 'temporal', 'bin', 'temporal');

const MODES = {
  source: ['--import', 'tsx', path.join(projectRoot, 'worker', 'main.ts')],
  built: [path.join(projectRoot, 'dist', 'worker', 'main.js')],
} as const;
type Mode = keyof typeof MODES;

async function main(): Promise<void> {
  const build = spawnSync('bash', [path.join(projectRoot, 'scripts', 'build.sh')], { stdio: 'inherit' });
  if (build.status !== 0) throw new Error('npm run build failed');
  const port = await freePort();
  const server = spawn(
    temporalBinary,
    ['server', 'start-dev', '--headless', '--port', String(port), '--log-level', 'error'],
    {
      stdio: 'ignore',
    },
  );
  try {
    await waitServing(`localhost:${port}`);
    const seconds: Record<Mode, number[]> = { source: [], built: [] };
    for (let round = 1; round <= ROUNDS; round++) {
      for (const mode of Object.keys(MODES) as Mode[]) {
        const taken = await timeToPolling(mode, `localhost:${port}`);
        seconds[mode].push(taken);
        console.log(`round ${round} ${mode.padEnd(6)} ${taken.toFixed(2)} s`);
      }
    }
    console.log(
      `worker startup source_seconds=${median(seconds.source).toFixed(2)} ` +
        `built_seconds=${median(seconds.built).toFixed(2)} rounds=${ROUNDS}`,
    );
  } finally {
    server.kill('SIGTERM');
  }
}

/** Seconds from spawning the worker to its "worker polling" line (printed once Worker.create has returned). */
async function timeToPolling(mode: Mode, address: string): Promise<number> {
  const started = performance.now();
  const child = spawn(process.execPath, MODES[mode], {
    cwd: projectRoot,
    env: {
      ...process.env,
      TEMPORAL_ADDRESS: address,
      OPARETA_TASK_QUEUE: `startup-bench-${process.pid}`,
      OPARETA_METRICS_PORT: String(await freePort()),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  try {
    await new Promise<void>((resolve, reject) => {
      let output = '';
      const timer = setTimeout(
        () => reject(new Error(`${mode} worker not polling after ${READY_MS} ms:\n${output}`)),
        READY_MS,
      );
      const onData = (chunk: Buffer) => {
        output += chunk.toString();
        if (output.includes('"worker polling"')) {
          clearTimeout(timer);
          resolve();
        }
      };
      child.stdout!.on('data', onData);
      child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
      child.once('exit', (code) => reject(new Error(`${mode} worker exited with ${code} before polling:\n${output}`)));
    });
    return (performance.now() - started) / 1000;
  } finally {
    await stop(child);
  }
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
  await exited;
  clearTimeout(timer);
}

async function waitServing(address: string): Promise<void> {
  const deadline = Date.now() + READY_MS;
  for (;;) {
    try {
      const connection = await Connection.connect({ address, connectTimeout: 2_000 });
      await connection.workflowService.countWorkflowExecutions({ namespace: 'default' });
      await connection.close();
      return;
    } catch (err) {
      if (Date.now() > deadline) throw new Error(`the bench's Temporal dev server is not serving: ${String(err)}`);
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
  }
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

main().catch((err: unknown) => {
  console.error(`bench: ${(err as Error).message}`);
  process.exitCode = 1;
});
