import { Writable } from 'node:stream';

/** Keeps the last `limit` bytes written to it: enough of a command's output for an error message. */
export class TailBuffer extends Writable {
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
