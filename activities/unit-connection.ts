import { Writable } from 'node:stream';
import { DRAIN_POLL_MS, type CopyChannel } from './copy-channel';
import { countNewlines } from './dump-output';
import type { PsqlProcess } from './psql-process';

/**
 * One of a parallel restore's psql processes, fed unit after unit. psql runs them in order and prints a unit's
 * acknowledgement line (a SELECT of a random nonce and the unit's number) once it has committed, so the
 * connection knows which of its units are done. It counts the lines it feeds psql, so that psql's
 * `<stdin>:LINE` of an error can be turned back into the unit and the dump's own line.
 */
export class UnitConnection {
  /** Units handed to psql and not yet acknowledged, oldest first. */
  readonly inFlight: RunningUnit[] = [];
  /** psql's number of the next line it will read. */
  private nextLine = 1;
  private drainWaiters: (() => void)[] = [];
  exited = false;
  /** The slot's direct COPY session, when COPY rows bypass psql (copy-channel.ts). */
  copy?: CopyChannel;

  constructor(
    readonly number: number,
    readonly psql: PsqlProcess,
    private readonly bufferLimit: number,
    onDrain: () => void,
  ) {
    psql.input.on('drain', () => {
      this.releaseDrainWaiters();
      onDrain();
    });
    void psql.exited.then(() => {
      this.exited = true;
      this.releaseDrainWaiters();
    });
  }

  /** Writes bytes whose line count is known (COPY rows, counted by the reader) or counted here. */
  write(bytes: Buffer | string, lines?: number): void {
    if (bytes.length === 0) return;
    this.nextLine += lines ?? countNewlines(typeof bytes === 'string' ? Buffer.from(bytes) : bytes);
    this.psql.input.write(bytes);
  }

  /** COPY rows were written uncounted: the reader's count of their lines. */
  skipLines(lines: number): void {
    this.nextLine += lines;
  }

  get line(): number {
    return this.nextLine;
  }

  /** Whether psql's input holds more than the limit: the writer waits (backpressure, not buffering). */
  get full(): boolean {
    return this.psql.input.writableLength > this.bufferLimit;
  }

  /**
   * Resolves once psql has read its input down to the limit (or has exited). 'drain' comes only when the input is
   * nearly empty: waiting for it would let this connection run dry while the reader waits, so the length is
   * looked at again every few milliseconds, and the reader goes on as soon as it is under the limit.
   */
  async drained(): Promise<void> {
    while (this.full && !this.exited && !this.psql.input.destroyed) {
      await new Promise<void>((resolve) => {
        this.drainWaiters.push(resolve);
        setTimeout(resolve, DRAIN_POLL_MS);
      });
    }
  }

  private releaseDrainWaiters(): void {
    for (const waiter of this.drainWaiters.splice(0)) waiter();
  }

  end(): void {
    this.psql.input.end();
  }

  /** Whether anything runs on this slot, on psql or on its COPY session. */
  get busy(): boolean {
    return this.inFlight.length > 0 || (this.copy?.inFlight.length ?? 0) > 0;
  }
}

/** A unit being fed to, or run by, a connection; `ranges` map its input lines back to the dump's. */
export interface RunningUnit {
  id: number;
  label: string;
  startedAt: number;
  bytesSent: number;
  ranges: LineRange[];
  /** COPY rows of a chunk that ends with the product's own `\.` (not the dump's). */
  cutChunk?: boolean;
}

/** `count` lines fed to psql from `inputLine` on are the dump's lines from `fileLine` on. */
export interface LineRange {
  inputLine: number;
  fileLine: number;
  count: number;
}

/** The dump's line for psql's input line, when it lies in one of the unit's ranges. */
export function fileLineOf(unit: RunningUnit, inputLine: number): number | undefined {
  for (const range of unit.ranges) {
    if (inputLine >= range.inputLine && inputLine <= range.inputLine + range.count) {
      return range.fileLine + (inputLine - range.inputLine);
    }
  }
  return undefined;
}

/**
 * psql's standard output, line by line: acknowledgement lines carry the nonce, which the dump cannot know, so a
 * dump's own SELECT output can never pass for one. Lines are bounded; longer ones are not acknowledgements.
 */
export function acknowledgementReader(nonce: string, onAck: (unit: number) => void): Writable {
  const prefix = `opareta-ack ${nonce} `;
  let partial = '';
  return new Writable({
    write(chunk: Buffer, _encoding, callback) {
      const text = partial + chunk.toString('latin1');
      const lines = text.split('\n');
      partial = lines.pop()!.slice(-200);
      for (const line of lines) {
        if (line.startsWith(prefix)) {
          const unit = Number(line.slice(prefix.length));
          if (Number.isInteger(unit)) onAck(unit);
        }
      }
      callback();
    },
  });
}
