import { PassThrough, Writable } from 'node:stream';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { execInContainer, startExec } from '../../../shared/node/docker/exec';

/** A Docker exec without an engine: the hijacked connection is a PassThrough, inspect answers what a test says. */
const fake = vi.hoisted(() => ({
  connection: undefined as unknown as import('node:stream').PassThrough,
  inspect: (): Promise<{ Running: boolean; ExitCode: number | null }> =>
    Promise.resolve({ Running: false, ExitCode: 0 }),
}));

vi.mock('../../../shared/node/docker/client', async (importOriginal) => ({
  ...(await importOriginal<object>()),
  docker: () => ({
    getContainer: () => ({
      exec: async () => ({ start: async () => fake.connection, inspect: () => fake.inspect() }),
    }),
  }),
}));

function frame(type: number, payload: string): Buffer {
  const body = Buffer.from(payload);
  const header = Buffer.alloc(8);
  header[0] = type;
  header.writeUInt32BE(body.length, 4);
  return Buffer.concat([header, body]);
}

beforeEach(() => {
  fake.connection = new PassThrough();
  fake.inspect = () => Promise.resolve({ Running: false, ExitCode: 0 });
});

describe('startExec', () => {
  it('waits a bounded time for the exit code, then fails naming the command and the container', async () => {
    fake.inspect = () => Promise.resolve({ Running: true, ExitCode: null });
    const running = await startExec('db-1', ['psql', '-f', '-'], { exitCodeWaitMs: 300 });
    fake.connection.end();
    // The seconds in the message are the configured wait, not the 30 s default: no clock needed to show it.
    await expect(running.result).rejects.toThrow(
      /^docker exec psql in db-1: still running 0 s after its output ended$/,
    );
  });

  it('collects stdout and stderr apart and returns the exit code recorded a moment after the output ends', async () => {
    let polls = 0;
    fake.inspect = () =>
      Promise.resolve(++polls < 3 ? { Running: true, ExitCode: null } : { Running: false, ExitCode: 3 });
    const result = execInContainer('app-1', ['bash', '-c', 'exit 3']);
    await new Promise((resolve) => setImmediate(resolve));
    fake.connection.end(Buffer.concat([frame(1, 'out\n'), frame(2, 'err\n')]));
    expect(await result).toEqual({ exitCode: 3, stdout: 'out\n', stderr: 'err\n' });
  });

  it('keeps only the end of a long output', async () => {
    const result = execInContainer('app-1', ['cat'], { keepOutputBytes: 4 });
    await new Promise((resolve) => setImmediate(resolve));
    fake.connection.end(Buffer.concat([frame(1, 'abcdef'), frame(1, 'gh')]));
    expect((await result).stdout).toBe('efgh');
  });

  it('a lost connection ends the output; the exit code still tells the result, and a second error is harmless', async () => {
    fake.inspect = () => Promise.resolve({ Running: false, ExitCode: 137 });
    const running = await startExec('db-1', ['psql']);
    fake.connection.write(frame(2, 'psql: starting\n'));
    fake.connection.emit('error', new Error('socket hang up'));
    fake.connection.emit('error', new Error('socket hang up again'));
    fake.connection.destroy();
    expect(await running.result).toEqual({ exitCode: 137, stdout: '', stderr: 'psql: starting\n' });
  });

  it('names the lost connection when Docker cannot be asked for the exit code either', async () => {
    fake.inspect = () => Promise.reject(new Error('connect ECONNREFUSED /var/run/docker.sock'));
    const running = await startExec('db-1', ['psql']);
    fake.connection.destroy(new Error('socket hang up'));
    await expect(running.result).rejects.toThrow(
      'docker exec psql in db-1: reading its exit code after the connection was lost (socket hang up) failed: connect ECONNREFUSED',
    );
  });

  it('fails when the caller’s output stream fails, without waiting for the exit code', async () => {
    fake.inspect = () => Promise.resolve({ Running: true, ExitCode: null });
    const broken = new Writable({ write: (_chunk, _encoding, callback) => callback(new Error('disk full')) });
    broken.on('error', () => undefined);
    const running = await startExec('db-1', ['pg_dump'], { output: { stdout: broken, stderr: new PassThrough() } });
    fake.connection.write(frame(1, 'COPY ...\n'));
    await expect(running.result).rejects.toThrow('docker exec pg_dump in db-1: writing its output failed: disk full');
    expect(fake.connection.destroyed).toBe(true);
  });

  it('streams the output into the given writables and leaves them open', async () => {
    const stdout = new PassThrough();
    const chunks: Buffer[] = [];
    stdout.on('data', (chunk: Buffer) => chunks.push(chunk));
    const result = execInContainer('db-1', ['pg_dump'], { output: { stdout, stderr: new PassThrough() } });
    await new Promise((resolve) => setImmediate(resolve));
    fake.connection.end(frame(1, 'dump'));
    expect(await result).toEqual({ exitCode: 0, stdout: '', stderr: '' });
    expect(Buffer.concat(chunks).toString()).toBe('dump');
    expect(stdout.writableEnded).toBe(false);
  });

  it('feeds a string to stdin and closes it; detach closes the connection', async () => {
    const input: Buffer[] = [];
    fake.connection.on('data', (chunk: Buffer) => input.push(chunk));
    const running = await startExec('db-1', ['psql'], { stdin: 'SELECT 1;\n' });
    await new Promise((resolve) => setImmediate(resolve));
    expect(Buffer.concat(input).toString()).toBe('SELECT 1;\n');
    running.detach();
    expect(fake.connection.destroyed).toBe(true);
    expect((await running.result).exitCode).toBe(0);
  });
});
