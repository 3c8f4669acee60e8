import { DRAIN_POLL_MS } from './copy-channel';
import { locksConflict, type TableLock } from './restore-plan';
import type { RunningUnit, UnitConnection } from './unit-connection';

/**
 * Which unit may run when, and on which connection. A unit waits for the earlier units it conflicts with: the
 * last barrier before it (the schema is the first), every unit before it if it is a barrier itself, and the
 * earlier units whose locks on a table conflict with its own (so steps on one table keep the dump's order, as
 * pg_restore -j keeps a table's). A ready unit goes to a connection with room: idle for a statement, at most one
 * unit queued ahead for COPY rows, which stream in while the one ahead still runs.
 */
export interface PlannedUnit {
  id: number;
  label: string;
  barrier: boolean;
  locks: TableLock[];
  /** The whole text of a statement unit; absent for streamed COPY rows. */
  text?: Buffer;
  write?: (connection: UnitConnection, unit: RunningUnit) => void;
}

interface ScheduledUnit {
  planned: PlannedUnit;
  deps: ScheduledUnit[];
  done: boolean;
}

const SLOWEST_KEPT = 5;

export class UnitScheduler {
  private readonly open = new Set<ScheduledUnit>();
  private readonly byTable = new Map<string, Set<ScheduledUnit>>();
  private readonly byId = new Map<number, ScheduledUnit>();
  private readonly queued: ScheduledUnit[] = [];
  private lastBarrier?: ScheduledUnit;
  private waiters: (() => void)[] = [];
  private failure?: Error;
  unitsDone = 0;
  private readonly finishedIds = new Set<number>();

  constructor(readonly connections: UnitConnection[]) {}

  /** A statement unit: queued, written whole to an idle connection once ready. */
  add(planned: PlannedUnit): void {
    this.queued.push(this.schedule(planned));
    this.pump();
  }

  /**
   * A streamed unit (the schema, COPY rows): resolves with the connection to stream it to once it is ready and
   * one has room; `direct` for COPY rows that go over the slot's COPY session.
   */
  async acquire(planned: PlannedUnit, direct = false): Promise<UnitConnection> {
    const unit = this.schedule(planned);
    for (;;) {
      this.throwIfFailed();
      const connection = this.isReady(unit) ? (direct ? this.copySlot() : this.connectionWithRoom(1)) : undefined;
      if (connection) return connection;
      // A full input shrinking below its limit raises no event: look again shortly.
      await Promise.race([this.nextEvent(), new Promise((resolve) => setTimeout(resolve, DRAIN_POLL_MS))]);
    }
  }

  /** Resolves once every unit added so far has been acknowledged. */
  async idle(): Promise<void> {
    while (this.open.size > 0) {
      this.throwIfFailed();
      await this.nextEvent();
    }
    this.throwIfFailed();
  }

  /** Waits while unwritten statement units hold more than `limit` bytes: the reader must not run far ahead. */
  async roomForQueued(limit: number): Promise<void> {
    while (this.queued.reduce((sum, u) => sum + (u.planned.text?.length ?? 0), 0) > limit) {
      this.throwIfFailed();
      await this.nextEvent();
    }
  }

  /** psql printed a unit's acknowledgement: it has committed. */
  acknowledge(connection: UnitConnection, id: number): void {
    const running = connection.inFlight.shift();
    if (!running || running.id !== id) {
      this.fail(new Error(`internal: connection ${connection.number} acknowledged unit ${id} out of order`));
      return;
    }
    this.timeUnit(running);
    // The next unit of this connection runs from now: its time and ETA count from here, not from its queueing.
    if (connection.inFlight[0]) connection.inFlight[0].startedAt = Date.now();
    const unit = this.byId.get(id);
    if (unit) this.finish(unit);
    this.pump();
  }

  /** A chunk on a connection's COPY session committed (they commit in order there). */
  acknowledgeCopy(connection: UnitConnection, id: number): void {
    const running = connection.copy?.inFlight.shift();
    if (!running || running.id !== id) {
      this.fail(new Error(`internal: COPY session ${connection.number} committed unit ${id} out of order`));
      return;
    }
    this.timeUnit(running);
    if (connection.copy!.inFlight[0]) connection.copy!.inFlight[0].startedAt = Date.now();
    const unit = this.byId.get(id);
    if (unit) this.finish(unit);
    this.pump();
  }

  fail(error: Error): void {
    this.failure ??= error;
    this.wake();
  }

  get failed(): Error | undefined {
    return this.failure;
  }

  /** Wakes the waiters whenever something changed (a unit done, a connection drained, a failure). */
  wake(): void {
    for (const waiter of this.waiters.splice(0)) waiter();
  }

  private schedule(planned: PlannedUnit): ScheduledUnit {
    const deps = new Set<ScheduledUnit>();
    if (this.lastBarrier && !this.lastBarrier.done) deps.add(this.lastBarrier);
    if (planned.barrier) for (const unit of this.open) deps.add(unit);
    else {
      for (const lock of planned.locks) {
        for (const unit of this.byTable.get(lock.table) ?? []) {
          const theirs = unit.planned.locks.find((l) => l.table === lock.table)!;
          if (locksConflict(theirs.mode, lock.mode)) deps.add(unit);
        }
      }
    }
    const unit: ScheduledUnit = { planned, deps: [...deps], done: false };
    this.open.add(unit);
    this.byId.set(planned.id, unit);
    if (planned.barrier) this.lastBarrier = unit;
    for (const lock of planned.locks) {
      if (!this.byTable.has(lock.table)) this.byTable.set(lock.table, new Set());
      this.byTable.get(lock.table)!.add(unit);
    }
    return unit;
  }

  /** The longest units so far, for the restore's log line: where the time went. */
  readonly slowest: { label: string; seconds: number }[] = [];

  private timeUnit(unit: RunningUnit): void {
    const seconds = Math.round((Date.now() - unit.startedAt) / 100) / 10;
    this.slowest.push({ label: unit.label, seconds });
    this.slowest.sort((a, b) => b.seconds - a.seconds);
    this.slowest.splice(SLOWEST_KEPT);
  }

  hasFinished(id: number): boolean {
    return this.finishedIds.has(id);
  }

  private finish(unit: ScheduledUnit): void {
    unit.done = true;
    this.unitsDone++;
    this.finishedIds.add(unit.planned.id);
    this.open.delete(unit);
    this.byId.delete(unit.planned.id);
    for (const lock of unit.planned.locks) this.byTable.get(lock.table)?.delete(unit);
    this.wake();
  }

  private isReady(unit: ScheduledUnit): boolean {
    return unit.deps.every((dep) => dep.done);
  }

  /** A slot whose psql is idle and whose COPY session has at most one chunk ahead and room in its input. */
  private copySlot(): UnitConnection | undefined {
    let best: UnitConnection | undefined;
    for (const connection of this.connections) {
      const copy = connection.copy;
      if (!copy || connection.inFlight.length > 0 || copy.inFlight.length > 1 || copy.full) continue;
      if (!best || copy.inFlight.length < best.copy!.inFlight.length) best = connection;
    }
    return best;
  }

  /** The least busy connection with fewer than `ahead` + 1 units in flight and room in its input. */
  private connectionWithRoom(ahead: number): UnitConnection | undefined {
    let best: UnitConnection | undefined;
    for (const connection of this.connections) {
      if (connection.inFlight.length > ahead || connection.full) continue;
      if ((connection.copy?.inFlight.length ?? 0) > 0) continue;
      if (!best || connection.inFlight.length < best.inFlight.length) best = connection;
    }
    return best;
  }

  /** Writes every ready statement unit, in the dump's order among the ready ones, to an idle connection. */
  private pump(): void {
    if (this.failure) return;
    for (let i = 0; i < this.queued.length;) {
      const unit = this.queued[i];
      const connection = this.isReady(unit) ? this.connectionWithRoom(0) : undefined;
      if (!connection) {
        i++;
        continue;
      }
      this.queued.splice(i, 1);
      const running = startUnit(connection, unit.planned);
      unit.planned.write!(connection, running);
    }
  }

  private throwIfFailed(): void {
    if (this.failure) throw this.failure;
  }

  private nextEvent(): Promise<void> {
    return new Promise((resolve) => this.waiters.push(resolve));
  }
}

/** Puts a unit on a connection's list of units in flight, before its first byte is written. */
export function startUnit(connection: UnitConnection, planned: PlannedUnit): RunningUnit {
  const running: RunningUnit = {
    id: planned.id,
    label: planned.label,
    startedAt: Date.now(),
    bytesSent: 0,
    ranges: [],
  };
  connection.inFlight.push(running);
  return running;
}
