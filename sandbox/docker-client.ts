import Docker from 'dockerode';
import { PassThrough, type Readable, type Writable } from 'node:stream';
import { demuxDockerStream } from './docker-frames';

/** One Docker client for the sandbox: DOCKER_HOST when set, else the local socket. */
let client: Docker | undefined;
export function docker(): Docker {
  client ??= new Docker();
  return client;
}

export interface ExecResult {
  exitCode: number;
  stdout: string;
  stderr: string;
}

export interface ExecOptions {
  /** Fed to the command's standard input, then closed. */
  stdin?: string;
  user?: string;
  env?: string[];
}

/** Runs a command (argument array, no shell) in a running container and collects its output. */
export async function execInContainer(
  container: string,
  cmd: string[],
  options: ExecOptions = {},
): Promise<ExecResult> {
  const stdout = collect();
  const stderr = collect();
  const exitCode = await execStreaming(container, cmd, { ...options, stdout: stdout.stream, stderr: stderr.stream });
  return { exitCode, stdout: stdout.text(), stderr: stderr.text() };
}

/** Like execInContainer but throws with the command's stderr when it exits non-zero. */
export async function execOrThrow(container: string, cmd: string[], options: ExecOptions = {}): Promise<string> {
  const result = await execInContainer(container, cmd, options);
  if (result.exitCode !== 0) {
    const detail = (result.stderr || result.stdout).trim().slice(-2000);
    throw new Error(`${cmd[0]} in ${container} exited with ${result.exitCode}: ${detail}`);
  }
  return result.stdout;
}

export interface StreamingExecOptions extends Omit<ExecOptions, 'stdin'> {
  stdin?: string | Readable;
  stdout: Writable;
  stderr: Writable;
}

/**
 * Runs a command in a container, demultiplexing its output into the given streams (pausing the command's
 * output while one of them is full); resolves to the exit code. The streams are written to, not ended.
 */
export async function execStreaming(container: string, cmd: string[], options: StreamingExecOptions): Promise<number> {
  const exec = await docker()
    .getContainer(container)
    .exec({
      Cmd: cmd,
      AttachStdin: options.stdin !== undefined,
      AttachStdout: true,
      AttachStderr: true,
      User: options.user,
      Env: options.env,
    });
  const stream = await exec.start({ hijack: true, stdin: options.stdin !== undefined });
  // Not docker.modem.demuxStream: it ignores backpressure, and a pg_dump into gzip would pile up in memory.
  const finished = demuxDockerStream(stream, options.stdout, options.stderr);
  if (typeof options.stdin === 'string') {
    stream.end(options.stdin);
  } else if (options.stdin) {
    // pipe() does not pass errors on: a failing source ends the exec (and rejects below) instead of the process.
    options.stdin.on('error', (err) => stream.destroy(err));
    options.stdin.pipe(stream);
  }
  await finished;
  // The output stream can end a moment before Docker records the exit code.
  for (let attempt = 0; attempt < 100; attempt++) {
    const info = await exec.inspect();
    if (!info.Running && info.ExitCode !== null) return info.ExitCode;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`${cmd[0]} in ${container}: no exit code after its output ended`);
}

function collect(): { stream: PassThrough; text: () => string } {
  const chunks: Buffer[] = [];
  const stream = new PassThrough();
  stream.on('data', (chunk: Buffer) => chunks.push(chunk));
  return { stream, text: () => Buffer.concat(chunks).toString('utf8') };
}

/** True when Docker answered 404 for the object. */
export function isNotFound(err: unknown): boolean {
  return (err as { statusCode?: number }).statusCode === 404;
}

export async function imageExists(tag: string): Promise<boolean> {
  try {
    await docker().getImage(tag).inspect();
    return true;
  } catch (err) {
    if (isNotFound(err)) return false;
    throw err;
  }
}
