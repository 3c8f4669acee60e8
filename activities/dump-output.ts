const NL = 0x0a;

/**
 * The bytes of a dump that psql may read, chunk by chunk. A statement is held back from its first byte until
 * the reader has judged it; then it is passed on, or left out with its newlines kept (psql's line numbers
 * stay the file's). Held bytes are references into the chunks, never copies.
 */
export class HeldOutput<Mark = unknown> {
  private chunk: Buffer = Buffer.alloc(0);
  private out: Buffer[] = [];
  private outLength = 0;
  /** Boundaries in this chunk's output: `offset` bytes of what end() returns lie before each. */
  marks: { offset: number; mark: Mark }[] = [];
  private emitFrom = 0;
  private holdStart = 0;
  private held: Buffer[] = [];
  /** Bytes held from earlier chunks. */
  heldBytes = 0;
  holding = false;

  /** Starts a chunk (an empty one for the end of input). */
  begin(chunk: Buffer): void {
    this.chunk = chunk;
    this.out = [];
    this.outLength = 0;
    this.marks = [];
    this.emitFrom = 0;
    this.holdStart = 0;
  }

  /**
   * Records a boundary at `at` in the chunk: everything before it has been passed on or left out. Only outside a
   * hold (a held statement's end resolves its hold first).
   */
  mark(at: number, mark: Mark): void {
    // A boundary inside held bytes would route bytes not yet judged: never, whatever the dump holds.
    if (this.holding) throw new Error('internal: a boundary inside a held statement');
    this.push(this.chunk.subarray(this.emitFrom, at));
    this.emitFrom = at;
    this.marks.push({ offset: this.outLength, mark });
  }

  private push(...pieces: Buffer[]): void {
    for (const piece of pieces) {
      this.out.push(piece);
      this.outLength += piece.length;
    }
  }

  /** What psql may read of this chunk; a hold still open keeps the rest for the next. */
  end(): Buffer {
    if (this.holding) {
      const piece = this.chunk.subarray(this.holdStart);
      this.held.push(piece);
      this.heldBytes += piece.length;
    } else this.push(this.chunk.subarray(this.emitFrom));
    return this.out.length === 1 ? this.out[0] : Buffer.concat(this.out);
  }

  /** Bytes the open hold would keep once this chunk ends. */
  pendingBytes(): number {
    return this.holding ? this.heldBytes + this.chunk.length - this.holdStart : 0;
  }

  hold(at: number): void {
    if (this.holding || at < 0) return;
    this.push(this.chunk.subarray(this.emitFrom, at));
    this.holding = true;
    this.holdStart = at;
    this.held = [];
    this.heldBytes = 0;
  }

  /** Ends the hold at `end` (exclusive of it): the held bytes are passed on (keep) or replaced by their newlines. */
  resolve(end: number, keep: boolean): void {
    if (!this.holding) return;
    this.holding = false;
    const last = this.chunk.subarray(this.holdStart, end);
    if (keep) this.push(...this.held, last);
    else {
      let newlines = countNewlines(last);
      for (const piece of this.held) newlines += countNewlines(piece);
      this.push(Buffer.from('\n'.repeat(newlines)));
    }
    this.held = [];
    this.heldBytes = 0;
    this.emitFrom = end;
  }

  /** The rest of the current line from `from`, for an error message. */
  restOfLine(from: number): string {
    if (from < 0) return '';
    const end = this.chunk.indexOf(NL, from);
    return this.chunk.toString('utf8', from, Math.min(end < 0 ? this.chunk.length : end, from + 120)).trimEnd();
  }
}

export function countNewlines(buffer: Buffer): number {
  let count = 0;
  for (let at = buffer.indexOf(NL); at !== -1; at = buffer.indexOf(NL, at + 1)) count++;
  return count;
}
