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

async function killWorkerFor(ctx: FaultContext, moment: string): Promise<void> {
  ctx.log(`chaos:   SIGKILL the worker ${moment}`);
  await ctx.stack.worker.kill();
  try {
    await sleep(WORKER_DOWN_MS);
  } finally {
    await ctx.stack.worker.ensureRunning();
  }
}

async function killDatabaseFor(ctx: FaultContext, moment: string): Promise<void> {
  ctx.log(`chaos:   docker kill ${ctx.target.databaseContainer} ${moment}`);
  await killContainer(ctx.target.databaseContainer);
  try {
    await sleep(DATABASE_DOWN_MS);
  } finally {
    await startContainer(ctx.target.databaseContainer);
  }
}

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

export const SCENARIOS: Scenario[] = [
  {
    name: 'worker-kill-planning',
    fullSystem: false,
    workflows: 1,
    inject: async (ctx) => {
      // Planning's longest step reads the whole backup (verifyBackup); kill the worker inside it.
      await untilServiceStep(ctx.handles[0], ctx.deadlineMs, ctx.targetService, ['verifying-backup']);
      await killWorkerFor(ctx, 'while it verifies the backup (planning)');
    },
  },
  {
    name: 'worker-kill-restore',
    fullSystem: false,
    workflows: 1,
    inject: async (ctx) => {
      await intoRestore(ctx);
      await killWorkerFor(ctx, 'during the restore');
    },
  },
  {
    name: 'worker-kill-between-renames',
    fullSystem: false,
    workflows: 1,
    inject: (ctx) => betweenRenames(ctx, () => killWorkerFor(ctx, 'between the two renames of the swap')),
  },
  {
    name: 'worker-kill-health-wait',
    fullSystem: false,
    workflows: 1,
    inject: async (ctx) => {
      await untilActivityEvent(ctx.handles[0], ctx.deadlineMs, 'waitForHealth', 'scheduled');
      await killWorkerFor(ctx, 'during the health wait after the swap');
    },
  },
  {
    name: 'db-kill-restore',
    fullSystem: false,
    workflows: 1,
    inject: async (ctx) => {
      await intoRestore(ctx);
      await killDatabaseFor(ctx, 'during the restore');
    },
  },
  {
    name: 'db-kill-between-renames',
    fullSystem: false,
    workflows: 1,
    inject: (ctx) => betweenRenames(ctx, () => killDatabaseFor(ctx, 'between the two renames of the swap')),
  },
  {
    name: 'temporal-kill-restore',
    fullSystem: false,
    workflows: 1,
    inject: async (ctx) => {
      await intoRestore(ctx);
      ctx.log('chaos:   SIGKILL the Temporal dev server during the restore');
      await ctx.stack.server.kill();
      try {
        await sleep(SERVER_DOWN_MS);
      } finally {
        await ctx.stack.server.start();
      }
    },
  },
  {
    name: 'apps-unhealthy-after-swap',
    fullSystem: false,
    workflows: 1,
    inject: async (ctx) => {
      // The restored database refuses connections once it is live: the apps answer 503 after the swap.
      await untilServiceStep(ctx.handles[0], ctx.deadlineMs, ctx.targetService, ['verified', 'swapping']);
      const prefix = `${ctx.target.database}_restore_`;
      const side = (await databasesOf(ctx.target)).find((name) => name.startsWith(prefix));
      const victim = side ?? ctx.target.database;
      ctx.log(`chaos:   ALTER DATABASE ${victim} ALLOW_CONNECTIONS false (apps unhealthy after the swap)`);
      await withDatabase(ctx.target, 'postgres', (client) =>
        client.query(`ALTER DATABASE ${quoteIdentifier(victim)} WITH ALLOW_CONNECTIONS false`),
      );
    },
    checkOutcomes: (outcomes) =>
      outcomes[0] === 'rolled-back' ? undefined : `expected rolled-back (apps unhealthy), got ${outcomes[0]}`,
  },
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
  {
    name: 'worker-kill-verification',
    fullSystem: false,
    workflows: 1,
    inject: async (ctx) => {
      await untilServiceStep(ctx.handles[0], ctx.deadlineMs, ctx.targetService, ['verifying-restore']);
      await killWorkerFor(ctx, 'during the verification of the restored database');
    },
  },
];
