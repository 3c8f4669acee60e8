const NL = 0x0a;
const CR = 0x0d;
const BACKSLASH = 0x5c;
const DOT = 0x2e;

/**
 * The data of one `COPY ... FROM stdin` as psql reads it: every line is a row until a line that is exactly
 * `\.` (or `\.` and a CR). Only newlines are searched for in the raw bytes: this is where a dump's bytes are.
 */
export class CopyBlock {
  rows = 0;
  /** Bytes read since the block began or was last cut. */
  private sinceCut = 0;
  /** The first bytes (latin1) and length of a row cut by a chunk's end. */
  private partialHead = '';
  private partialLength = 0;

  /**
   * Reads from `start`; returns where the block ended (after `\.`'s newline) or -1 if it goes on, and the lines
   * read. With `cutEvery`, it also stops after the row that brings the bytes since the last cut to that many
   * (`cut`: the rows so far may be loaded apart from the rest), unless the next line, in this chunk, is `\.`.
   */
  read(chunk: Buffer, start: number, cutEvery = Infinity): { end: number; lines: number; cut?: boolean } {
    let lineStart = start;
    let lines = 0;
    for (;;) {
      const newline = chunk.indexOf(NL, lineStart);
      if (newline === -1) {
        this.rememberPartial(chunk, lineStart);
        this.sinceCut += chunk.length - start;
        return { end: -1, lines };
      }
      const terminator =
        this.partialLength > 0
          ? this.partialIsTerminator(chunk, lineStart, newline)
          : isTerminator(chunk, lineStart, newline);
      this.partialHead = '';
      this.partialLength = 0;
      lines++;
      if (terminator) return { end: newline + 1, lines };
      this.rows++;
      lineStart = newline + 1;
      if (this.sinceCut + (lineStart - start) >= cutEvery) {
        this.sinceCut = 0;
        return { end: lineStart, lines, cut: true };
      }
    }
  }

  private rememberPartial(chunk: Buffer, lineStart: number): void {
    if (lineStart >= chunk.length) return;
    if (this.partialHead.length < 3) {
      const need = 3 - this.partialHead.length;
      this.partialHead += chunk.toString('latin1', lineStart, Math.min(chunk.length, lineStart + need));
    }
    this.partialLength += chunk.length - lineStart;
  }

  private partialIsTerminator(chunk: Buffer, lineStart: number, newline: number): boolean {
    const length = this.partialLength + (newline - lineStart);
    if (length !== 2 && length !== 3) return false;
    const line = (this.partialHead + chunk.toString('latin1', lineStart, newline)).slice(0, length);
    return line === '\\.' || line === '\\.\r';
  }
}

function isTerminator(chunk: Buffer, lineStart: number, newline: number): boolean {
  const length = newline - lineStart;
  if (length !== 2 && length !== 3) return false;
  if (chunk[lineStart] !== BACKSLASH || chunk[lineStart + 1] !== DOT) return false;
  return length === 2 || chunk[lineStart + 2] === CR;
}
