import { Writable } from 'node:stream';
import type { MarkedOutput, SegmentMark } from './dump-reader';
import type { Statement } from './dump-statement';
import { countNewlines } from './dump-output';
import {
  createLedgerSql,
  dropLedgerSql,
  markNotResumableSql,
  unitCommittedSql,
  type LedgerIdentity,
} from './restore-ledger';
import { planStatement, tableKey, type TableLock } from './restore-plan';
import type { RunningUnit, UnitConnection } from './unit-connection';
import { startUnit, UnitScheduler, type PlannedUnit } from './unit-scheduler';

/**
 * Routes the dump reader's checked output to several psql connections, unit by unit:
 * - the schema (everything before the first COPY) streams to one connection, in order, as one unit;
 * - each COPY block is cut by the reader into chunks of rows; every chunk is its own `COPY ... FROM stdin` in its
 *   own transaction, on whichever connection has room, beside the chunks of the same and other tables;
 * - the statements after the data run as units planned by restore-plan.ts: indexes and keys beside each other,
 *   everything else alone and in order; session settings are replayed at the start of every unit.
 * Each unit but the schema commits in one transaction with its number in the ledger (restore-ledger.ts) and is
 * acknowledged on psql's output. A dump the plan cannot follow (transaction control, a statement too long to
 * hold) goes on in order on one connection. Units a previous attempt committed are read and dropped.
 */
export interface UnitRouterOptions {
  connections: UnitConnection[];
  nonce: string;
  ledger: string;
  identity: LedgerIdentity;
  /** Units a previous attempt committed (empty on a fresh start). */
  committed: Set<number>;
  /** The slots have COPY sessions: COPY rows go over them instead of psql (copy-channel.ts). */
  directCopy: boolean;
  /** The failure to report for a chunk the server refused on a COPY session. */
  copyFailure: (err: unknown, unit: RunningUnit, endsBlock: boolean) => Error;
}

/** Bytes of statements held waiting for connections before the reader is paused. */
const QUEUED_LIMIT = 32 * 1024 * 1024;
/** A statement (a long INSERT) still unfinished past this is not held: the rest of the dump runs in order. */
const PENDING_LIMIT = 8 * 1024 * 1024;
/** Distinct session settings replayed per unit; a dump with more runs in order. */
const MAX_SESSION_SETTINGS = 64;

type Mode = 'schema' | 'parallel' | 'serial';

const SCHEMA_UNIT = 0;

interface CopyState {
  table: string;
  locks: TableLock[];
  header: Buffer;
  headerLine: number;
  chunk: number;
  /** The chunk being streamed (absent while its rows are skipped: committed by a previous attempt). */
  unit?: {
    connection: UnitConnection;
    running: RunningUnit;
    dataRange: { inputLine: number; fileLine: number };
    /** Over the slot's COPY session, not psql. */
    direct: boolean;
  };
  dataLine: number;
}

export class UnitRouter {
  readonly scheduler: UnitScheduler;
  private mode: Mode = 'schema';
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  private pendingLine = 1;
  private readonly session = new Map<string, Buffer>();
  /** COPY sessions speak UTF8: a dump that sets another client_encoding loads its rows through psql. */
  private utf8Session = true;
  private copy?: CopyState;
  private nextId = 0;
  private schema?: { connection: UnitConnection; running: RunningUnit };
  private serial?: { connection: UnitConnection; running: RunningUnit };
  unitsSkipped = 0;
  lastSkipped?: string;
  private readonly labels = new Map<number, string>();

  constructor(private readonly options: UnitRouterOptions) {
    this.scheduler = new UnitScheduler(options.connections);
    // Unit numbers must come out the same in every attempt, whatever it skips: the schema is always 0.
    this.newUnit('schema');
  }

  /** A Writable (object mode) of the reader's marked output; it finishes once every unit has committed. */
  writable(): Writable {
    return new Writable({
      objectMode: true,
      highWaterMark: 2,
      write: (chunk: MarkedOutput, _encoding, callback) => {
        this.route(chunk).then(() => callback(), callback);
      },
      final: (callback) => {
        this.finish().then(() => callback(), callback);
      },
    });
  }

  /** Whether a retry could resume: the ledger exists (the schema is in) and nothing ran outside units. */
  get resumable(): boolean {
    const schemaIn = this.options.committed.has(SCHEMA_UNIT) || this.scheduler.hasFinished(SCHEMA_UNIT);
    return schemaIn && this.mode !== 'serial';
  }

  private async route({ output, marks }: MarkedOutput): Promise<void> {
    let from = 0;
    for (const { offset, mark } of marks) {
      await this.segment(output.subarray(from, offset), mark);
      from = offset;
    }
    await this.trailing(output.subarray(from));
  }

  /** Bytes after the last boundary of a chunk: COPY rows go on; statement bytes wait for their boundary. */
  private async trailing(bytes: Buffer): Promise<void> {
    if (bytes.length === 0) return;
    if (this.mode === 'serial') return this.writeSerial(bytes);
    if (this.copy) return this.writeRows(bytes);
    this.pending.push(bytes);
    this.pendingBytes += bytes.length;
    if (this.pendingBytes <= PENDING_LIMIT) return;
    // Only a streamed INSERT or SELECT gets this long unjudged: the schema unit may take it as it comes.
    if (this.mode === 'schema') {
      const held = this.takePending();
      this.pendingLine += countNewlines(held);
      await this.writeSchema(held);
      return;
    }
    await this.goSerial();
  }

  private async segment(bytes: Buffer, mark: SegmentMark): Promise<void> {
    if (this.mode === 'serial') {
      await this.writeSerial(bytes);
      return;
    }
    switch (mark.kind) {
      case 'statement':
        return this.statement(bytes, mark);
      case 'copy-data':
        this.copy!.header = Buffer.concat([this.copy!.header, bytes]);
        this.copy!.dataLine = mark.line;
        return this.startChunk();
      case 'copy-cut':
        await this.writeRows(bytes);
        this.endChunk(mark.line, true);
        this.copy!.dataLine = mark.line;
        return this.startChunk();
      case 'copy-end':
        await this.writeRows(bytes);
        this.endChunk(mark.line, false);
        this.copy = undefined;
        this.pendingLine = mark.line;
        return;
    }
  }

  private async statement(bytes: Buffer, mark: Extract<SegmentMark, { kind: 'statement' }>): Promise<void> {
    const line = this.pendingLine;
    this.pending.push(bytes);
    const text = this.takePending();
    this.pendingLine = mark.line;
    const plan = planStatement(mark.statement, mark.action);
    if (plan.kind === 'session') this.rememberSetting(plan.key, text);
    if (plan.kind === 'session' && plan.key.endsWith('client_encoding')) {
      this.utf8Session = setsUtf8(mark.statement);
    }
    if (mark.action === 'copy') {
      if (this.mode === 'schema') await this.endSchema();
      const table = tableKey(mark.copyTable ?? []);
      this.copy = {
        table: table ?? (mark.copyTable ?? []).join('.'),
        locks: table ? [{ table, mode: 'write' }] : [],
        header: text,
        headerLine: line,
        chunk: 0,
        dataLine: line,
      };
      return;
    }
    if (this.mode === 'schema') return this.writeSchema(text);
    if (plan.kind === 'skip' || plan.kind === 'session') return;
    if (plan.kind === 'transaction' || this.session.size > MAX_SESSION_SETTINGS) {
      this.pending = [text];
      this.pendingBytes = text.length;
      this.pendingLine = line;
      return this.goSerial();
    }
    const id = this.newUnit(plan.label);
    if (this.skipIfCommitted(id)) return;
    const settings = this.settings();
    const planned: PlannedUnit = {
      id,
      label: plan.label,
      barrier: plan.kind === 'barrier',
      locks: plan.kind === 'parallel' ? plan.locks : [],
      text,
      write: (connection, running) => {
        this.beginTransaction(connection, settings);
        running.ranges.push({ inputLine: connection.line, fileLine: line, count: countNewlines(text) });
        connection.write(text);
        connection.write('\n');
        this.commitUnit(connection, running);
      },
    };
    this.scheduler.add(planned);
    await this.scheduler.roomForQueued(QUEUED_LIMIT);
  }

  // ---- the schema ----

  private async writeSchema(bytes: Buffer): Promise<void> {
    if (bytes.length === 0 || this.options.committed.has(SCHEMA_UNIT)) return;
    if (!this.schema) {
      const planned: PlannedUnit = { id: SCHEMA_UNIT, label: 'schema', barrier: true, locks: [] };
      const connection = await this.scheduler.acquire(planned);
      const running = startUnit(connection, planned);
      running.ranges.push({ inputLine: connection.line, fileLine: 1, count: Infinity });
      this.schema = { connection, running };
    }
    await this.send(this.schema.connection, this.schema.running, bytes);
  }

  /** The schema is in: the ledger is created and the schema unit acknowledged on its connection. */
  private async endSchema(): Promise<void> {
    this.mode = 'parallel';
    if (this.options.committed.has(SCHEMA_UNIT)) {
      this.unitsSkipped++;
      this.lastSkipped = 'schema';
      return;
    }
    if (!this.schema) await this.writeSchema(Buffer.from('\n'));
    const { connection, running } = this.schema!;
    running.ranges[0].count = connection.line - running.ranges[0].inputLine;
    // The ledger and the schema's own entry in one transaction: a ledger exists only for a finished schema.
    connection.write('BEGIN;\n');
    connection.write(createLedgerSql(this.options.ledger, this.options.identity));
    this.commitUnit(connection, running);
  }

  // ---- COPY rows ----

  private async startChunk(): Promise<void> {
    const copy = this.copy!;
    copy.chunk++;
    const label = `${copy.table} rows #${copy.chunk}`;
    const id = this.newUnit(label);
    copy.unit = undefined;
    if (this.skipIfCommitted(id)) return;
    const planned: PlannedUnit = { id, label, barrier: copy.locks.length === 0, locks: copy.locks };
    const settings = this.settings();
    const direct = this.options.directCopy && this.utf8Session;
    const connection = await this.scheduler.acquire(planned, direct);
    if (direct) {
      const running: RunningUnit = { id, label, startedAt: Date.now(), bytesSent: 0, ranges: [] };
      connection.copy!.begin(running, settings, copy.header);
      copy.unit = { connection, running, direct, dataRange: { inputLine: 1, fileLine: copy.dataLine } };
      return;
    }
    const running = startUnit(connection, planned);
    this.beginTransaction(connection, settings);
    running.ranges.push({ inputLine: connection.line, fileLine: copy.headerLine, count: countNewlines(copy.header) });
    connection.write(copy.header);
    copy.unit = { connection, running, direct, dataRange: { inputLine: connection.line, fileLine: copy.dataLine } };
  }

  private async writeRows(bytes: Buffer): Promise<void> {
    const unit = this.copy?.unit;
    if (!unit || bytes.length === 0) return;
    unit.running.bytesSent += bytes.length;
    if (unit.direct) {
      const channel = unit.connection.copy!;
      channel.write(bytes);
      if (channel.full) {
        await channel.drained();
        this.throwIfFailed();
      }
      return;
    }
    unit.connection.write(bytes, 0);
    if (unit.connection.full) await this.drained(unit.connection);
  }

  /** The chunk's rows are all sent: their lines (counted by the reader) are added, then `\.` and the commit. */
  private endChunk(nextLine: number, cut: boolean): void {
    const copy = this.copy!;
    const unit = copy.unit;
    if (!unit) return;
    const lines = nextLine - copy.dataLine;
    unit.running.ranges.push({ ...unit.dataRange, count: lines });
    if (unit.direct) {
      const { connection, running } = unit;
      connection.copy!.end(unitCommittedSql(this.options.ledger, running.id), !cut).then(
        () => this.scheduler.acknowledgeCopy(connection, running.id),
        (err: unknown) => this.scheduler.fail(this.options.copyFailure(err, running, !cut)),
      );
      copy.unit = undefined;
      return;
    }
    unit.connection.skipLines(lines);
    if (cut) {
      unit.running.cutChunk = true;
      unit.connection.write('\\.\n');
    }
    this.commitUnit(unit.connection, unit.running);
    copy.unit = undefined;
  }

  // ---- in order, on one connection ----

  /** From here on the dump runs as psql would run it: after every unit so far, on one connection, in order. */
  private async goSerial(): Promise<void> {
    this.mode = 'serial';
    await this.scheduler.idle();
    const id = this.newUnit('the rest of the dump, in order');
    const planned: PlannedUnit = { id, label: 'the rest of the dump, in order', barrier: true, locks: [] };
    const connection = await this.scheduler.acquire(planned);
    const running = startUnit(connection, planned);
    connection.write(markNotResumableSql(this.options.ledger));
    this.writeSettings(connection, this.settings());
    running.ranges.push({ inputLine: connection.line, fileLine: this.pendingLine, count: Infinity });
    this.serial = { connection, running };
    await this.writeSerial(this.takePending());
  }

  private async writeSerial(bytes: Buffer): Promise<void> {
    if (bytes.length === 0) return;
    await this.send(this.serial!.connection, this.serial!.running, bytes);
  }

  // ---- the end ----

  private async finish(): Promise<void> {
    const rest = this.takePending();
    if (this.mode === 'schema') {
      // No COPY at all (an --inserts dump): the whole dump was the schema unit.
      await this.writeSchema(rest);
      await this.endSchema();
    } else if (this.mode === 'serial') await this.writeSerial(rest);
    if (this.serial) this.commitUnit(this.serial.connection, this.serial.running, false);
    await this.scheduler.idle();
    // Every unit is in: the ledger goes, on a connection of the role that owns it.
    const last = this.options.connections[0];
    last.write(dropLedgerSql(this.options.ledger));
  }

  // ---- helpers ----

  private newUnit(label: string): number {
    const id = this.nextId++;
    this.labels.set(id, label);
    return id;
  }

  private skipIfCommitted(id: number): boolean {
    if (!this.options.committed.has(id)) return false;
    this.unitsSkipped++;
    this.lastSkipped = this.labels.get(id);
    return true;
  }

  private rememberSetting(key: string, text: Buffer): void {
    this.session.delete(key);
    this.session.set(key, text);
  }

  /** The session settings as they stand at this point of the dump: a unit written later still runs with these. */
  private settings(): Buffer[] {
    return [...this.session.values()];
  }

  private writeSettings(connection: UnitConnection, settings: Buffer[]): void {
    for (const text of settings) {
      connection.write(text);
      connection.write('\n');
    }
  }

  private beginTransaction(connection: UnitConnection, settings: Buffer[]): void {
    this.writeSettings(connection, settings);
    connection.write('BEGIN;\n');
  }

  private commitUnit(connection: UnitConnection, running: RunningUnit, inTransaction = true): void {
    connection.write(unitCommittedSql(this.options.ledger, running.id));
    if (inTransaction) connection.write('COMMIT;\n');
    this.acknowledge(connection, running.id);
  }

  private acknowledge(connection: UnitConnection, id: number): void {
    connection.write(`SELECT 'opareta-ack ${this.options.nonce} ${id}';\n`);
  }

  private async send(connection: UnitConnection, running: RunningUnit, bytes: Buffer): Promise<void> {
    running.bytesSent += bytes.length;
    connection.write(bytes);
    if (connection.full) await this.drained(connection);
  }

  /** Waits for psql to read its input down (backpressure); a connection that failed meanwhile fails the restore. */
  private async drained(connection: UnitConnection): Promise<void> {
    await connection.drained();
    this.throwIfFailed();
  }

  private throwIfFailed(): void {
    const failure = this.scheduler.failed;
    if (failure) throw failure;
  }

  private takePending(): Buffer {
    const all = this.pending.length === 1 ? this.pending[0] : Buffer.concat(this.pending);
    this.pending = [];
    this.pendingBytes = 0;
    return all;
  }
}

/** Whether a client_encoding setting leaves the session in UTF8 (RESET: the server's, taken as not known). */
function setsUtf8(statement: Statement): boolean {
  return statement.tokens.some(
    (token, index) => index > 1 && ['UTF8', 'UTF-8', 'UNICODE'].includes(token.text.toUpperCase()),
  );
}
