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
  /** The first bytes (latin1) and length of a row cut by a chunk's end. */
  private partialHead = '';
  private partialLength = 0;

  /** Reads from `start`; returns where the block ended (after `\.`'s newline) or -1 if it goes on, and the lines read. */
  read(chunk: Buffer, start: number): { end: number; lines: number } {
    let lineStart = start;
    let lines = 0;
    for (;;) {
      const newline = chunk.indexOf(NL, lineStart);
      if (newline === -1) {
        this.rememberPartial(chunk, lineStart);
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
