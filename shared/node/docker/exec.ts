import type Docker from 'dockerode';
import type { Duplex, Readable, Writable } from 'node:stream';
import { docker, dockerCall, dockerError } from './client';
import { demuxDockerStream } from './frames';
import { TailBuffer } from './tail-buffer';

export interface ExecOptions {
  /** Fed to the command's standard input, then closed; a Readable is piped with backpressure. */
  stdin?: string | Readable;
  env?: string[];
  user?: string;
  /**
   * Where the output goes. Without it, the last `keepOutputBytes` of each stream are kept for the result;
   * with it, the output is written into these streams (paused while one is full, never ended) and the
   * result's stdout and stderr are empty.
   */
  output?: { stdout: Writable; stderr: Writable };
  /** How much of each output stream to keep, from the end: enough for an error message. */
  keepOutputBytes?: number;
  /** How long to wait for the exit code once the output has ended (default 30 s). */
  exitCodeWaitMs?: number;
}

export interface ExecResult {
  exitCode: number;
  stdout: string;
  stderr: string;
}

/** A command started in a container: its result, and a way to cut it off. */
export interface RunningExec {
  /**
   * The exit code and output once the output has ended and Docker reports the exit. Rejects with a plain
   * Error naming the command and the container when no exit code comes within `exitCodeWaitMs`, when Docker
   * cannot be asked, or when an `output` stream fails.
   */
  result: Promise<ExecResult>;
  /** Stops feeding stdin and closes the connection; the command then reads EOF and may run on. */
  detach(): void;
  /**
   * True until Docker has recorded the command's exit. A command that has just been started can still show
   * `Running: false` for a moment (its process not yet up), so that alone does not mean it is over.
   */
  isRunning(): Promise<boolean>;
}

const DEFAULT_KEEP_OUTPUT_BYTES = 64 * 1024;
const DEFAULT_EXIT_CODE_WAIT_MS = 30_000;

/** Starts a command (an argument array, never a shell string) in a running container. */
export async function startExec(container: string, cmd: string[], options: ExecOptions = {}): Promise<RunningExec> {
  const what = `docker exec ${cmd[0]} in ${container}`;
  const attachStdin = options.stdin !== undefined;
  const exec = await dockerCall(what, () =>
    docker().getContainer(container).exec({
      Cmd: cmd,
      AttachStdin: attachStdin,
      AttachStdout: true,
      AttachStderr: true,
      Env: options.env,
      User: options.user,
    }),
  );
  const stream: Duplex = await dockerCall(what, () => exec.start({ hijack: true, stdin: attachStdin }));

  const keep = options.keepOutputBytes ?? DEFAULT_KEEP_OUTPUT_BYTES;
  const collected = options.output ? undefined : { stdout: new TailBuffer(keep), stderr: new TailBuffer(keep) };
  const output = options.output ?? collected!;
  // A lost connection (Docker restarted, the container killed) ends the output as far as we are concerned; the
  // exit code tells the rest. An error of the caller's own output streams fails the command's result instead.
  let connectionError: Error | undefined;
  stream.on('error', (err: Error) => {
    connectionError ??= err;
  });
  const outputEnded = demuxDockerStream(stream, output.stdout, output.stderr).catch((err: unknown) => {
    if (err !== connectionError) throw err;
  });
  feedStdin(stream, options.stdin);

  const result = (async (): Promise<ExecResult> => {
    try {
      await outputEnded;
    } catch (err) {
      throw dockerError(`${what}: writing its output`, err);
    }
    const exitCode = await waitForExitCode(exec, what, options.exitCodeWaitMs ?? DEFAULT_EXIT_CODE_WAIT_MS, () =>
      connectionError ? ` after the connection was lost (${connectionError.message})` : '',
    );
    return { exitCode, stdout: collected?.stdout.text() ?? '', stderr: collected?.stderr.text() ?? '' };
  })();
  // Whoever awaits the result sees its failure; a caller that gave up on the command first (its restore failed
  // for another reason) must not turn that failure into an unhandled rejection of the worker process.
  result.catch(() => undefined);
  return {
    result,
    detach: () => {
      if (typeof options.stdin === 'object') options.stdin.unpipe(stream);
      stream.destroy();
    },
    isRunning: async () => {
      const info = await exec.inspect();
      return info.Running || info.ExitCode === null;
    },
  };
}

function feedStdin(stream: Duplex, stdin: ExecOptions['stdin']): void {
  if (stdin === undefined) return;
  if (typeof stdin === 'string') {
    stream.end(stdin);
    return;
  }
  // pipe() does not pass errors on. The command reads EOF and its exit code tells what it made of that; the
  // failing source's owner sees the source's error itself.
  stdin.on('error', () => stream.destroy());
  stdin.pipe(stream);
}

/**
 * The one bounded wait for an exit code: the output can end a moment before Docker records the exit, and a
 * detached command may run on. Polls until the exit is recorded, then gives up with a plain Error.
 */
async function waitForExitCode(
  exec: Docker.Exec,
  what: string,
  timeoutMs: number,
  lostConnection: () => string,
): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    let info: Docker.ExecInspectInfo;
    try {
      info = await exec.inspect();
    } catch (err) {
      throw dockerError(`${what}: reading its exit code${lostConnection()}`, err);
    }
    if (!info.Running && info.ExitCode !== null) return info.ExitCode;
    if (Date.now() >= deadline) {
      const state = info.Running ? 'still running' : 'no exit code recorded';
      throw new Error(`${what}: ${state} ${Math.round(timeoutMs / 1000)} s after its output ended${lostConnection()}`);
    }
    await new Promise((resolve) => setTimeout(resolve, info.Running ? 50 : 25));
  }
}

/** Runs a command to its end and collects its output (or streams it, with `output`). */
export async function execInContainer(
  container: string,
  cmd: string[],
  options: ExecOptions = {},
): Promise<ExecResult> {
  return (await startExec(container, cmd, options)).result;
}

/** Like execInContainer, but throws with the end of the command's stderr when it exits non-zero. */
export async function execOrThrow(container: string, cmd: string[], options: ExecOptions = {}): Promise<string> {
  const result = await execInContainer(container, cmd, options);
  if (result.exitCode !== 0) {
    const detail = (result.stderr || result.stdout).trim().slice(-2000);
    throw new Error(`${cmd[0]} in ${container} exited with ${result.exitCode}: ${detail}`);
  }
  return result.stdout;
}
