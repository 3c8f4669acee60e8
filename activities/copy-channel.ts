import { Client } from 'pg';
import { from as copyFrom, type CopyStreamQuery } from 'pg-copy-streams';
import type { ServiceConfig } from '../shared/node/topology';
import type { RestoreRole } from './restore-confinement';
import type { RunningUnit } from './unit-connection';

/**
 * A restore connection's direct COPY session, as the same confined restore role: the rows of a COPY chunk go to
 * the server as COPY data over the protocol, without psql reading them line by line and without `docker exec`
 * carrying them (pg_restore loads the same way). Rows cannot be anything but rows there: no psql, so no
 * meta-command, whatever a row holds. The COPY statement itself is the one the dump reader judged (`COPY
 * table (columns) FROM stdin`), and the session settings before it are the dump's own, judged the same way.
 * Each chunk runs in its own transaction with its ledger entry, as on psql.
 */
/** `\.`, CR, LF: the longest end-of-data line of a COPY block. */
const TAIL_BYTES = 4;

/** How often a full input is looked at again: 'drain' comes only once it is empty, far below the limit. */
export const DRAIN_POLL_MS = 20;

export class CopyChannel {
  /** Units written or being written, not yet committed, oldest first. */
  readonly inFlight: RunningUnit[] = [];
  private stream?: CopyStreamQuery;
  /** The last bytes of the rows, held back until it is known whether they end in the dump's `\.` line. */
  private tail = Buffer.alloc(0);
  private drainWaiters: (() => void)[] = [];
  lost?: Error;

  private constructor(
    private readonly client: Client,
    private readonly bufferLimit: number,
    private readonly onChange: () => void,
  ) {}

  static async open(
    config: ServiceConfig,
    role: RestoreRole,
    database: string,
    applicationName: string,
    bufferLimit: number,
    onChange: () => void,
  ): Promise<CopyChannel> {
    const client = new Client({
      host: config.host,
      port: config.port,
      user: role.name,
      password: role.password,
      database,
      application_name: applicationName,
      // See RESTORE_SESSION_SQL (restore-ledger.ts): a chunk's commit need not wait for its WAL to reach disk.
      options: '-c synchronous_commit=off',
      connectionTimeoutMillis: 10_000,
      keepAlive: true,
    });
    const channel = new CopyChannel(client, bufferLimit, onChange);
    // A dropped connection fails the unit in flight through its queries; the listener keeps the worker alive.
    client.on('error', (err) => {
      channel.lost ??= err;
      onChange();
    });
    await client.connect();
    return channel;
  }

  /**
   * Starts a chunk: BEGIN, the session settings of its place in the dump, then the COPY statement, whose rows
   * follow with write() at once: the COPY stream holds them until the server asks for them. The session's
   * statements run one after the other on `queue`; end() returns what settles once the chunk is committed.
   */
  begin(unit: RunningUnit, settings: Buffer[], header: Buffer): void {
    this.inFlight.push(unit);
    const stream = copyFrom(header.toString('utf8'));
    stream.on('drain', () => this.releaseDrainWaiters());
    this.stream = stream;
    this.tail = Buffer.alloc(0);
    const copied = new Promise<void>((resolve, reject) => stream.on('finish', resolve).on('error', reject));
    copied.catch(() => undefined);
    const started = this.queue.then(async () => {
      await this.client.query('BEGIN');
      if (settings.length > 0) await this.client.query(Buffer.concat(settings).toString('utf8'));
      this.client.query(stream);
      await copied;
    });
    // A chunk cut off before end() (the restore failed or was cancelled meanwhile) fails with nobody waiting.
    started.catch(() => undefined);
    this.queue = started;
  }

  /** The session's statements, in order: node-postgres runs one query at a time. */
  private queue: Promise<void> = Promise.resolve();

  write(bytes: Buffer): void {
    // The dump's `\.` line is at most 4 bytes (`\.\r\n`): the last 4 bytes wait for what follows them. The rows
    // themselves are passed on as they are: no copy of a gigabyte of COPY data.
    if (bytes.length < TAIL_BYTES) {
      const all = Buffer.concat([this.tail, bytes]);
      if (all.length > TAIL_BYTES) this.stream!.write(all.subarray(0, all.length - TAIL_BYTES));
      this.tail = all.subarray(Math.max(0, all.length - TAIL_BYTES));
      return;
    }
    if (this.tail.length > 0) this.stream!.write(this.tail);
    this.stream!.write(bytes.subarray(0, bytes.length - TAIL_BYTES));
    this.tail = Buffer.from(bytes.subarray(bytes.length - TAIL_BYTES));
  }

  /** Ends the chunk's rows (without the dump's `\.` line, which only psql reads) and commits with the ledger. */
  end(ledgerSql: string, endsBlock: boolean): Promise<void> {
    let rest = this.tail;
    if (endsBlock) {
      // The block's last line is `\.` (or `\.` and CR): the rows are what comes before it.
      const lastLineStart = rest.lastIndexOf(0x0a, rest.length - 2) + 1;
      rest = rest.subarray(0, lastLineStart);
    }
    this.tail = Buffer.alloc(0);
    if (rest.length > 0) this.stream!.write(rest);
    this.stream!.end();
    const committed = this.queue.then(async () => {
      await this.client.query(ledgerSql);
      await this.client.query('COMMIT');
    });
    // A failed chunk fails the restore, which closes the session: nothing runs after it on this queue.
    this.queue = committed.catch(() => undefined);
    return committed;
  }

  get full(): boolean {
    return (this.stream?.writableLength ?? 0) > this.bufferLimit;
  }

  /** Resolves once the session's input is back under the limit (see UnitConnection.drained). */
  async drained(): Promise<void> {
    while (this.full && !this.lost && this.stream && !this.stream.destroyed) {
      await new Promise<void>((resolve) => {
        this.drainWaiters.push(resolve);
        setTimeout(resolve, DRAIN_POLL_MS);
      });
    }
  }

  private releaseDrainWaiters(): void {
    for (const waiter of this.drainWaiters.splice(0)) waiter();
    this.onChange();
  }

  /** Closes the session; a chunk not committed is rolled back by the server. */
  async close(): Promise<void> {
    this.stream?.destroy();
    this.releaseDrainWaiters();
    await this.client.end().catch(() => undefined);
  }
}
