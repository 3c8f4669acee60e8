import { PassThrough, Readable, Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { DockerFrameDemuxer, demultiplexLog, demuxDockerStream } from '../../../shared/node/docker/frames';

function frame(type: number, payload: Buffer | string): Buffer {
  const body = Buffer.from(payload);
  const header = Buffer.alloc(8);
  header[0] = type;
  header.writeUInt32BE(body.length, 4);
  return Buffer.concat([header, body]);
}

/** Cuts `data` into chunks of the given sizes, cycling through them. */
function cut(data: Buffer, sizes: number[]): Buffer[] {
  const chunks: Buffer[] = [];
  for (let offset = 0, i = 0; offset < data.length; i++) {
    const size = sizes[i % sizes.length];
    chunks.push(data.subarray(offset, offset + size));
    offset += size;
  }
  return chunks;
}

function sink(): { stream: Writable; data: () => Buffer } {
  const chunks: Buffer[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      chunks.push(Buffer.from(chunk));
      callback();
    },
  });
  return { stream, data: () => Buffer.concat(chunks) };
}

describe('demuxDockerStream', () => {
  it('splits both streams, with headers and payloads cut across chunk boundaries', async () => {
    const frames = [
      frame(1, 'hello '),
      frame(2, 'warning: one\n'),
      frame(1, 'world'),
      frame(1, ''),
      frame(2, 'warning: two\n'),
      frame(1, Buffer.alloc(70_000, 'x')),
    ];
    const whole = Buffer.concat(frames);
    const expectedStdout = `hello world${'x'.repeat(70_000)}`;
    // Chunk sizes that split headers (1..7 bytes in) and payloads alike, and one chunk with everything.
    for (const sizes of [[1], [3], [5, 2, 11], [7, 9], [8], [13, 4096], [whole.length]]) {
      const out = sink();
      const err = sink();
      await demuxDockerStream(Readable.from(cut(whole, sizes)), out.stream, err.stream, { end: true });
      expect(out.data().toString(), `chunk sizes ${sizes.join(',')}`).toBe(expectedStdout);
      expect(err.data().toString()).toBe('warning: one\nwarning: two\n');
      expect(out.stream.writableFinished).toBe(true);
      expect(err.stream.writableFinished).toBe(true);
    }
  });

  it('leaves the destinations open unless told to end them', async () => {
    const out = sink();
    const err = sink();
    await demuxDockerStream(Readable.from([frame(1, 'a')]), out.stream, err.stream);
    expect(out.data().toString()).toBe('a');
    expect(out.stream.writableEnded).toBe(false);
    expect(err.stream.writableEnded).toBe(false);
  });

  it('passes a stream that is not multiplexed through to stdout', async () => {
    const out = sink();
    const err = sink();
    await demuxDockerStream(
      Readable.from([Buffer.from('plain tty output\n'), Buffer.from('more')]),
      out.stream,
      err.stream,
    );
    expect(out.data().toString()).toBe('plain tty output\nmore');
    expect(err.data().length).toBe(0);
  });

  it('pauses the source while a slow consumer catches up: what is buffered stays bounded', async () => {
    const CHUNK = 64 * 1024;
    const FRAMES = 256; // 16 MB of stdout, interleaved with small stderr frames
    let produced = 0;
    let consumed = 0;
    let maxAhead = 0;
    let pulls = 0;
    let i = 0;
    // A source that produces only when read: how far it gets ahead of the consumer is what we buffer.
    const source = new Readable({
      highWaterMark: CHUNK,
      read() {
        pulls++;
        if (i === FRAMES) {
          this.push(null);
          return;
        }
        const payload = Buffer.alloc(CHUNK, i % 251);
        i++;
        produced += CHUNK;
        // Split each frame into two uneven pushes so headers and payloads straddle chunks.
        const bytes = Buffer.concat([frame(1, payload), frame(2, `progress ${i}\n`)]);
        this.push(bytes.subarray(0, 5_003));
        this.push(bytes.subarray(5_003));
      },
    });
    const stdout = new PassThrough({ highWaterMark: CHUNK });
    const stderrLines: string[] = [];
    const stderr = new PassThrough().on('data', (chunk: Buffer) => stderrLines.push(chunk.toString()));
    // A consumer that takes 16 KB per tick, much slower than the source.
    const slow = new Writable({
      highWaterMark: 16 * 1024,
      write(chunk: Buffer, _encoding, callback) {
        setImmediate(() => {
          consumed += chunk.length;
          maxAhead = Math.max(maxAhead, produced - consumed);
          callback();
        });
      },
    });
    stdout.pipe(slow);
    const finished = new Promise((resolve) => slow.on('finish', resolve));
    await demuxDockerStream(source, stdout, stderr, { end: true });
    await finished;
    expect(consumed).toBe(FRAMES * CHUNK);
    expect(stderrLines.join('')).toContain(`progress ${FRAMES}\n`);
    // Without backpressure the source would run all 16 MB ahead; with it, a few buffers' worth at most.
    expect(maxAhead).toBeLessThan(8 * CHUNK);
    expect(pulls).toBeGreaterThan(FRAMES);
  });

  it('holds a chunk until the destination drains, then accepts the next', async () => {
    const stdout = new PassThrough({ highWaterMark: 4 });
    const demuxer = new DockerFrameDemuxer(stdout, new PassThrough(), { highWaterMark: 1 });
    let written = false;
    demuxer.write(frame(1, 'more than four bytes'), () => (written = true));
    await new Promise((resolve) => setImmediate(resolve));
    expect(written).toBe(false);
    expect(demuxer.write(frame(1, 'next'))).toBe(false);
    stdout.read();
    await new Promise((resolve) => setImmediate(resolve));
    expect(written).toBe(true);
  });

  it('rejects and destroys the source when a destination is closed before the output ends', async () => {
    const source = new PassThrough();
    const stdout = new PassThrough({ highWaterMark: 4 });
    const done = demuxDockerStream(source, stdout, new PassThrough());
    source.write(frame(1, 'more than four bytes'));
    await new Promise((resolve) => setImmediate(resolve));
    stdout.destroy();
    await expect(done).rejects.toThrow(/closed/);
    expect(source.destroyed).toBe(true);
  });
});

describe('demultiplexLog', () => {
  it('reads each frame by its size, sizes whose bytes are >= 0x09 included', () => {
    // 0x0a (a newline), 0x0d and 0x41 ('A') as size bytes: a filter of control bytes kept these as garbage text.
    const lines = ['x'.repeat(0x0a), 'y'.repeat(0x0d), 'z'.repeat(0x41), 'w'.repeat(0x1234)];
    const raw = Buffer.concat(lines.map((line, i) => frame(i % 2 === 0 ? 1 : 2, line)));
    expect(demultiplexLog(raw).toString()).toBe(lines.join(''));
  });

  it('keeps payload bytes that look like headers or control characters', () => {
    const payload = Buffer.from([0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x05, 0x08, 0x0a]);
    expect(demultiplexLog(Buffer.concat([frame(1, payload), frame(2, 'after\n')]))).toEqual(
      Buffer.concat([payload, Buffer.from('after\n')]),
    );
  });

  it('keeps stdout and stderr in the order they were written', () => {
    const raw = Buffer.concat([frame(1, 'one\n'), frame(2, 'two\n'), frame(1, 'three\n')]);
    expect(demultiplexLog(raw).toString()).toBe('one\ntwo\nthree\n');
  });

  it('keeps what arrived of a last frame cut short, and nothing of a header cut short', () => {
    const whole = Buffer.concat([frame(1, 'complete\n'), frame(1, 'cut short\n')]);
    expect(demultiplexLog(whole.subarray(0, whole.length - 4)).toString()).toBe('complete\ncut sh');
    expect(demultiplexLog(Buffer.concat([frame(1, 'complete\n'), Buffer.from([1, 0, 0])])).toString()).toBe(
      'complete\n',
    );
  });

  it('returns output that is not multiplexed (a TTY) as it is, short or empty', () => {
    expect(demultiplexLog(Buffer.from('plain tty output\n')).toString()).toBe('plain tty output\n');
    expect(demultiplexLog(Buffer.from('ok\n')).toString()).toBe('ok\n');
    expect(demultiplexLog(Buffer.alloc(0)).length).toBe(0);
  });

  it('agrees with the streaming demuxer on a frame split across chunks', async () => {
    const raw = Buffer.concat([frame(1, 'a'.repeat(0x0a)), frame(2, 'b'.repeat(300)), frame(1, 'c'.repeat(0x41))]);
    const out = sink();
    const err = sink();
    // Cuts inside the second header (its size bytes) and inside the payloads.
    await demuxDockerStream(Readable.from(cut(raw, [22, 5, 100])), out.stream, err.stream, { end: true });
    expect(Buffer.concat([out.data(), err.data()]).length).toBe(demultiplexLog(raw).length);
    expect(out.data().toString()).toBe('a'.repeat(0x0a) + 'c'.repeat(0x41));
    expect(err.data().toString()).toBe('b'.repeat(300));
  });
});
