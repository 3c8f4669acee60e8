import type { WorkflowHandle } from '@temporalio/client';
import type { ServiceConfig } from '../../shared/node/topology';
import { quoteIdentifier } from '../../activities/postgres';
import { killContainer, startContainer } from './containers';
import { databasesOf, withDatabase } from './db';
import { swapWaitsBetweenRenames, RenameGate } from './rename-gate';
import type { ChaosStack } from './stack';
import { sleep, untilActivityEvent, untilServiceStep, waitFor } from './watch';

/** What a scenario's fault needs: the stack it may break, the workflows to time it by, the service to hit. */
export interface FaultContext {
  stack: ChaosStack;
  handles: WorkflowHandle[];
  /** The service whose database and apps the fault hits (argus). */
  target: ServiceConfig;
  targetService: string;
  deadlineMs: number;
  log: (line: string) => void;
}

export interface Scenario {
  name: string;
  /** fullSystemRestore of every service instead of restoreDatabase of the target. */
  fullSystem: boolean;
  /** Workflows started at once. */
  workflows: number;
  /** Injects the fault at its moment and repairs what it broke (a killed worker or server is started again). */
  inject: (ctx: FaultContext) => Promise<void>;
  /** A problem with the set of outcomes, beyond "restored, or not restored with live intact". */
  checkOutcomes?: (outcomes: string[]) => string | undefined;
}

const WORKER_DOWN_MS = 3_000;
const DATABASE_DOWN_MS = 10_000;
const SERVER_DOWN_MS = 5_000;
/** Into the restore before the fault, so psql is well inside the dump. */
const INTO_RESTORE_MS = 5_000;

type Fault = (ctx: FaultContext, moment: string) => Promise<void>;

/** Takes something down, keeps it down a while, brings it back up even when the wait is interrupted. */
async function downFor(
  ctx: FaultContext,
  what: string,
  downMs: number,
  down: () => Promise<void>,
  up: () => Promise<void>,
): Promise<void> {
  ctx.log(`chaos:   ${what}`);
  await down();
  try {
    await sleep(downMs);
  } finally {
    await up();
  }
}

const killWorkerFor: Fault = (ctx, moment) =>
  downFor(
    ctx,
    `SIGKILL the worker ${moment}`,
    WORKER_DOWN_MS,
    () => ctx.stack.worker.kill(),
    () => ctx.stack.worker.ensureRunning(),
  );

const killDatabaseFor: Fault = (ctx, moment) =>
  downFor(
    ctx,
    `docker kill ${ctx.target.databaseContainer} ${moment}`,
    DATABASE_DOWN_MS,
    () => killContainer(ctx.target.databaseContainer),
    () => startContainer(ctx.target.databaseContainer),
  );

const killTemporalServerFor: Fault = (ctx, moment) =>
  downFor(
    ctx,
    `SIGKILL the Temporal dev server ${moment}`,
    SERVER_DOWN_MS,
    () => ctx.stack.server.kill(),
    () => ctx.stack.server.start(),
  );

/** Into the restore of the target: its step is `restoring`, then a few seconds more. */
async function intoRestore(ctx: FaultContext): Promise<void> {
  await untilServiceStep(ctx.handles[0], ctx.deadlineMs, ctx.targetService, ['restoring']);
  await sleep(INTO_RESTORE_MS);
}

/**
 * Holds the swap's second rename (see rename-gate.ts), waits for the first, runs `fault`, then lets go.
 * The gate is taken once the side database is verified, before the swap stops the apps.
 */
async function betweenRenames(ctx: FaultContext, fault: () => Promise<void>): Promise<void> {
  const handle = ctx.handles[0];
  // Not earlier: the restore's confinement changes the side database's owner, which the lock would hold.
  await untilServiceStep(handle, ctx.deadlineMs, ctx.targetService, ['verified', 'swapping']);
  const gate = new RenameGate(ctx.target);
  try {
    const side = await waitFor('the side database', handle, ctx.deadlineMs, () => gate.close());
    await waitFor('the swap between its renames', handle, ctx.deadlineMs, async () =>
      (await swapWaitsBetweenRenames(ctx.target, side)) ? true : undefined,
    );
    await fault();
  } finally {
    await gate.open();
  }
}

/** A fault a few seconds into the restore (psql well inside the dump). */
const duringRestore =
  (fault: Fault) =>
  async (ctx: FaultContext): Promise<void> => {
    await intoRestore(ctx);
    await fault(ctx, 'during the restore');
  };

/** The worker killed once the target service reaches one of `steps`. */
const killWorkerAtStep =
  (steps: string[], moment: string) =>
  async (ctx: FaultContext): Promise<void> => {
    await untilServiceStep(ctx.handles[0], ctx.deadlineMs, ctx.targetService, steps);
    await killWorkerFor(ctx, moment);
  };

/** The restored database refuses connections once it is live: the apps answer 503 after the swap. */
async function refuseConnectionsAfterSwap(ctx: FaultContext): Promise<void> {
  await untilServiceStep(ctx.handles[0], ctx.deadlineMs, ctx.targetService, ['verified', 'swapping']);
  const prefix = `${ctx.target.database}_restore_`;
  const side = (await databasesOf(ctx.target)).find((name) => name.startsWith(prefix));
  const victim = side ?? ctx.target.database;
  ctx.log(`chaos:   ALTER DATABASE ${victim} ALLOW_CONNECTIONS false (apps unhealthy after the swap)`);
  await withDatabase(ctx.target, 'postgres', (client) =>
    client.query(`ALTER DATABASE ${quoteIdentifier(victim)} WITH ALLOW_CONNECTIONS false`),
  );
}

/** A scenario on one restoreDatabase of the target service. */
function oneRestore(name: string, inject: Scenario['inject'], more: Partial<Scenario> = {}): Scenario {
  return { name, fullSystem: false, workflows: 1, inject, ...more };
}

export const SCENARIOS: Scenario[] = [
  // Planning's longest step reads the whole backup (verifyBackup); kill the worker inside it.
  oneRestore('worker-kill-planning', killWorkerAtStep(['verifying-backup'], 'while it verifies the backup (planning)')),
  oneRestore('worker-kill-restore', duringRestore(killWorkerFor)),
  oneRestore('worker-kill-between-renames', (ctx) =>
    betweenRenames(ctx, () => killWorkerFor(ctx, 'between the two renames of the swap')),
  ),
  oneRestore('worker-kill-health-wait', async (ctx) => {
    await untilActivityEvent(ctx.handles[0], ctx.deadlineMs, 'waitForHealth', 'scheduled');
    await killWorkerFor(ctx, 'during the health wait after the swap');
  }),
  oneRestore('db-kill-restore', duringRestore(killDatabaseFor)),
  oneRestore('db-kill-between-renames', (ctx) =>
    betweenRenames(ctx, () => killDatabaseFor(ctx, 'between the two renames of the swap')),
  ),
  oneRestore('temporal-kill-restore', duringRestore(killTemporalServerFor)),
  oneRestore('apps-unhealthy-after-swap', refuseConnectionsAfterSwap, {
    checkOutcomes: (outcomes) =>
      outcomes[0] === 'rolled-back' ? undefined : `expected rolled-back (apps unhealthy), got ${outcomes[0]}`,
  }),
  {
    name: 'two-full-system-restores',
    fullSystem: true,
    workflows: 2,
    inject: () => Promise.resolve(),
    checkOutcomes: (outcomes) => {
      const restored = outcomes.filter((o) => o === 'restored').length;
      return restored === 1 ? undefined : `expected exactly one of the two to restore, got ${outcomes.join(', ')}`;
    },
  },
  // A lost verification attempt is noticed by its 1-minute heartbeat timeout (verification heartbeats every 5 s).
  oneRestore(
    'worker-kill-verification',
    killWorkerAtStep(['verifying-restore'], 'during the verification of the restored database'),
  ),
];
