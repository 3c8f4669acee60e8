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
   * follow with write(). Nothing is awaited here: node-postgres queues the queries, and the COPY stream holds
   * the rows until the server asks for them; end() returns what settles once the chunk is committed.
   */
  begin(unit: RunningUnit, settings: Buffer[], header: Buffer): void {
    this.inFlight.push(unit);
    const steps: Promise<unknown>[] = [this.client.query('BEGIN')];
    if (settings.length > 0) steps.push(this.client.query(Buffer.concat(settings).toString('utf8')));
    const stream = this.client.query(copyFrom(header.toString('utf8')));
    stream.on('drain', () => this.releaseDrainWaiters());
    this.stream = stream;
    this.tail = Buffer.alloc(0);
    steps.push(new Promise<void>((resolve, reject) => stream.on('finish', resolve).on('error', reject)));
    this.pending = steps;
  }

  private pending: Promise<unknown>[] = [];

  write(bytes: Buffer): void {
    // The dump's `\.` line is at most 4 bytes (`\.\r\n`): what may be part of it waits for the next bytes.
    const all = this.tail.length > 0 ? Buffer.concat([this.tail, bytes]) : bytes;
    const keep = Math.min(4, all.length);
    if (all.length > keep) this.stream!.write(all.subarray(0, all.length - keep));
    this.tail = Buffer.from(all.subarray(all.length - keep));
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
    const steps = [...this.pending, this.client.query(ledgerSql), this.client.query('COMMIT')];
    this.pending = [];
    // Every step's failure is the chunk's: none is left unhandled.
    for (const step of steps) step.catch(() => undefined);
    return Promise.all(steps).then(() => undefined);
  }

  get full(): boolean {
    return (this.stream?.writableLength ?? 0) > this.bufferLimit;
  }

  async drained(): Promise<void> {
    while (this.full && !this.lost && this.stream && !this.stream.destroyed) {
      await new Promise<void>((resolve) => this.drainWaiters.push(resolve));
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
