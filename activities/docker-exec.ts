import type Dockerode from 'dockerode';
import { Writable, type Readable } from 'node:stream';

export interface ExecOptions {
  /** Streamed into the command's standard input, then closed (backpressure respected). */
  stdin?: Readable;
  env?: string[];
  user?: string;
  /** How much of each output stream to keep, from the end: enough for an error message. */
  keepOutputBytes?: number;
}

export interface ExecResult {
  exitCode: number;
  stdout: string;
  stderr: string;
}

/** A command started in a container: its result, and a way to cut it off. */
export interface RunningExec {
  result: Promise<ExecResult>;
  /** Stops feeding stdin and closes the connection; the process then reads EOF. */
  detach(): void;
  isRunning(): Promise<boolean>;
}

const DEFAULT_KEEP_OUTPUT_BYTES = 64 * 1024;

/** Keeps the last `limit` bytes written to it. */
class TailBuffer extends Writable {
  private chunks: Buffer[] = [];
  private bytes = 0;
  constructor(private readonly limit: number) {
    super();
  }
  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: () => void): void {
    this.chunks.push(chunk);
    this.bytes += chunk.length;
    while (this.bytes - this.chunks[0].length >= this.limit) this.bytes -= this.chunks.shift()!.length;
    callback();
  }
  text(): string {
    const all = Buffer.concat(this.chunks);
    return all.subarray(Math.max(0, all.length - this.limit)).toString('utf8');
  }
}

export async function startExec(
  docker: Dockerode,
  containerName: string,
  cmd: string[],
  options: ExecOptions = {},
): Promise<RunningExec> {
  const exec = await docker.getContainer(containerName).exec({
    Cmd: cmd,
    AttachStdin: options.stdin !== undefined,
    AttachStdout: true,
    AttachStderr: true,
    Env: options.env,
    User: options.user,
  });
  const stream = await exec.start({ hijack: true, stdin: options.stdin !== undefined });
  const keep = options.keepOutputBytes ?? DEFAULT_KEEP_OUTPUT_BYTES;
  const stdout = new TailBuffer(keep);
  const stderr = new TailBuffer(keep);
  docker.modem.demuxStream(stream, stdout, stderr);
  // A lost connection (Docker restarted, the container killed) ends the output as far as we are concerned; the
  // exit code tells the rest. `on`, not `once`: a second 'error' without a listener would end the worker.
  let connectionError: Error | undefined;
  stream.on('error', (err: Error) => {
    connectionError ??= err;
  });
  const outputEnded = new Promise<void>((resolve) => {
    stream.once('end', resolve);
    stream.once('close', resolve);
    stream.once('error', () => resolve());
  });
  const stdin = options.stdin;
  if (stdin) {
    stdin.on('error', () => stream.destroy());
    stdin.pipe(stream);
  }
  const result = (async (): Promise<ExecResult> => {
    await outputEnded;
    let exitCode: number;
    try {
      exitCode = await waitForExitCode(exec);
    } catch (err) {
      const lost = connectionError ? ` after the connection was lost (${connectionError.message})` : '';
      throw new Error(`docker exec ${cmd[0]} in ${containerName}: no exit code${lost}: ${(err as Error).message}`, {
        cause: err,
      });
    }
    return { exitCode, stdout: stdout.text(), stderr: stderr.text() };
  })();
  // Whoever awaits the result sees its failure; a caller that gave up on the command first (its restore failed
  // for another reason) must not turn that failure into an unhandled rejection of the worker process.
  result.catch(() => undefined);
  return {
    result,
    detach: () => {
      stdin?.unpipe(stream);
      stream.destroy();
    },
    isRunning: async () => (await exec.inspect()).Running,
  };
}

/** The output stream can end a moment before Docker records the exit code; a detached exec may run on a while. */
async function waitForExitCode(exec: Dockerode.Exec, timeoutMs = 30_000): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const info = await exec.inspect();
    if (!info.Running && info.ExitCode !== null) return info.ExitCode;
    if (Date.now() > deadline) return -1;
    await new Promise((resolve) => setTimeout(resolve, info.Running ? 50 : 25));
  }
}
