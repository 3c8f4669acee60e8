import { Writable, type Readable, type WritableOptions } from 'node:stream';

/**
 * Docker's attach, exec and log output without a TTY is a sequence of frames: an 8-byte header (stream type
 * byte: 0 stdin, 1 stdout, 2 stderr; three zero bytes; payload length as a 4-byte big-endian integer), then
 * the payload. The length is binary: any byte may stand in it, so the header must be read, never filtered out.
 */
const HEADER_BYTES = 8;

interface FrameHeader {
  /** Type 0 (stdin) goes with stderr, as in `docker.modem.demuxStream`: it is never the command's output. */
  stream: 'stdout' | 'stderr';
  size: number;
}

/** The header at `offset`, or undefined when those 8 bytes are not one (the output is not multiplexed). */
function readFrameHeader(buffer: Buffer, offset: number): FrameHeader | undefined {
  const type = buffer[offset];
  if (type > 2 || buffer[offset + 1] !== 0 || buffer[offset + 2] !== 0 || buffer[offset + 3] !== 0) return undefined;
  return { stream: type === 1 ? 'stdout' : 'stderr', size: buffer.readUInt32BE(offset + 4) };
}

/**
 * A whole log read at once (`docker logs` without follow), both streams in the order Docker wrote them. Output
 * that does not start with a frame header is returned as it is; a last frame cut short keeps what arrived.
 */
export function demultiplexLog(raw: Buffer): Buffer {
  const payloads: Buffer[] = [];
  let offset = 0;
  while (offset + HEADER_BYTES <= raw.length) {
    const frame = readFrameHeader(raw, offset);
    if (!frame) break;
    const start = offset + HEADER_BYTES;
    payloads.push(raw.subarray(start, Math.min(start + frame.size, raw.length)));
    offset = start + frame.size;
  }
  if (offset === 0 && raw.length > 0) return raw;
  return Buffer.concat(payloads);
}

/**
 * The same frames as a stream. `docker.modem.demuxStream` splits them too, but it reads in flowing mode and
 * ignores what `write()` returns, so a fast producer (pg_dump) ahead of a slow consumer (gzip) piles up in memory.
 *
 * This Writable holds each chunk's callback until the destination it wrote to has drained, so a source piped
 * into it is paused: at most one source chunk plus the destinations' own buffers is held at a time.
 */
export class DockerFrameDemuxer extends Writable {
  private readonly header = Buffer.alloc(HEADER_BYTES);
  private headerBytes = 0;
  /** Payload bytes of the current frame still to come, and where they go. */
  private remaining = 0;
  private target: Writable | undefined;
  /** Set when the stream turned out not to be framed (a TTY exec): everything goes to stdout as is. */
  private raw = false;

  constructor(
    private readonly stdout: Writable,
    private readonly stderr: Writable,
    options: WritableOptions = {},
  ) {
    super(options);
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    this.consume(chunk).then(() => callback(), callback);
  }

  private async consume(chunk: Buffer): Promise<void> {
    let offset = 0;
    while (offset < chunk.length) {
      if (this.raw) {
        await this.forward(this.stdout, chunk.subarray(offset));
        return;
      }
      if (this.remaining === 0) {
        const take = Math.min(HEADER_BYTES - this.headerBytes, chunk.length - offset);
        chunk.copy(this.header, this.headerBytes, offset, offset + take);
        this.headerBytes += take;
        offset += take;
        if (this.headerBytes < HEADER_BYTES) return;
        this.headerBytes = 0;
        const frame = readFrameHeader(this.header, 0);
        if (!frame) {
          // Not a frame header: the stream is not multiplexed. Pass it through, as demuxStream does.
          this.raw = true;
          await this.forward(this.stdout, Buffer.from(this.header));
          continue;
        }
        this.remaining = frame.size;
        this.target = frame.stream === 'stdout' ? this.stdout : this.stderr;
        continue;
      }
      const take = Math.min(this.remaining, chunk.length - offset);
      const payload = chunk.subarray(offset, offset + take);
      offset += take;
      this.remaining -= take;
      await this.forward(this.target!, payload);
    }
  }

  /** Writes, and when the destination asks to wait, resolves only once it has drained. */
  private forward(destination: Writable, data: Buffer): Promise<void> {
    if (destination.destroyed || destination.writableEnded) {
      return Promise.reject(new Error('docker output destination closed before the output ended'));
    }
    if (destination.write(data)) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      const done = (error?: Error) => {
        destination.off('drain', onDrain);
        destination.off('close', onClose);
        destination.off('error', onError);
        if (error) reject(error);
        else resolve();
      };
      const onDrain = () => done();
      const onClose = () => done(new Error('docker output destination closed before it drained'));
      const onError = (error: Error) => done(error);
      destination.on('drain', onDrain);
      destination.on('close', onClose);
      destination.on('error', onError);
    });
  }
}

export interface DemuxOptions {
  /** End stdout and stderr once the source has ended and everything is written. Default false. */
  end?: boolean;
}

/**
 * Pipes a Docker attach/exec stream into stdout and stderr with backpressure: the source is paused while a
 * destination is full. Resolves when the source has ended and every payload byte has been written (and the
 * destinations ended, with `end`); rejects on an error of the source, the demuxer or a destination, after
 * destroying the source so the connection does not linger.
 */
export function demuxDockerStream(
  source: Readable,
  stdout: Writable,
  stderr: Writable,
  options: DemuxOptions = {},
): Promise<void> {
  const demuxer = new DockerFrameDemuxer(stdout, stderr);
  return new Promise<void>((resolve, reject) => {
    let settled = false;
    const fail = (error: Error) => {
      if (settled) return;
      settled = true;
      source.unpipe(demuxer);
      source.destroy();
      demuxer.destroy();
      reject(error);
    };
    // `on`, not `once`: a second 'error' of a dropped connection without a listener would end the process.
    source.on('error', fail);
    demuxer.on('error', fail);
    // A hijacked connection may close without 'end' (docker closes the socket): treat that as the end.
    source.once('close', () => {
      if (!source.readableEnded && !demuxer.writableEnded) demuxer.end();
    });
    demuxer.once('finish', () => {
      if (settled) return;
      settled = true;
      if (options.end) {
        stdout.end();
        stderr.end();
      }
      resolve();
    });
    source.pipe(demuxer);
  });
}
