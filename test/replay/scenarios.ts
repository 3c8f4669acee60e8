/**
 * One run of each workflow type (and the interesting branches) against the fake world. The recorder commits
 * their histories as fixtures; the replay test runs them again and replays both.
 */
import type { Client, WorkflowHandle } from '@temporalio/client';
import type { Workflow } from '@temporalio/common';
import { temporal } from '@temporalio/proto';
import { serviceLockWorkflowId } from '../../shared/workflow-types';
import { fullSystemRestore, ping, restoreDatabase, restoreDrill } from '../../workflows';
import { approveSignal } from '../../workflows/definitions';
import { FakeWorld } from '../workflows/support/fake-world';
import { waitForStep } from '../workflows/support/test-server';

export interface Scenario {
  name: string;
  workflow: Workflow;
  input: Record<string, unknown>;
  arrange?: (world: FakeWorld) => void;
  interact?: (handle: WorkflowHandle) => Promise<void>;
  /** Child workflow IDs whose histories are worth keeping too. */
  children?: (workflowId: string) => string[];
}

export const scenarios: Scenario[] = [
  { name: ping.name, workflow: ping, input: {} },
  {
    name: 'restore-database-swap',
    workflow: restoreDatabase,
    input: { service: 'argus' },
    children: () => [serviceLockWorkflowId('argus')],
  },
  {
    name: 'restore-database-approved',
    workflow: restoreDatabase,
    input: { service: 'hermes', requireApproval: true },
    interact: async (handle) => {
      await waitForStep(handle, 'awaiting-approval');
      await handle.signal(approveSignal, { by: 'replay-recorder' });
    },
  },
  {
    name: 'restore-database-rolled-back',
    workflow: restoreDatabase,
    input: { service: 'argus' },
    arrange: (world) => world.unhealthyBackups.add(world.service('argus').backups[0].file),
  },
  {
    // One read: the broken newest backup proves so in its restore into the side database.
    name: 'restore-database-swap-fallback',
    workflow: restoreDatabase,
    input: { service: 'hermes' },
    arrange: (world) => (world.service('hermes').backups[0].broken = 'BackupTruncated'),
  },
  {
    name: 'restore-database-in-place-fallback',
    workflow: restoreDatabase,
    input: { service: 'hermes', mode: 'in-place' },
    arrange: (world) => (world.service('hermes').backups[0].broken = 'BackupTruncated'),
  },
  {
    // The warm standby of the latest backup swapped in: no restore, no verification.
    name: 'restore-database-from-standby',
    workflow: restoreDatabase,
    input: { service: 'argus' },
    arrange: (world) => {
      world.enableStandby('argus');
      world.plantStandby('argus', world.service('argus').backups[0].file);
    },
  },
  { name: 'full-system-restore', workflow: fullSystemRestore, input: {} },
  {
    name: 'full-system-restore-verification-failed',
    workflow: fullSystemRestore,
    input: {},
    arrange: (world) => world.failVerification.add('hermes'),
  },
  {
    name: 'restore-drill',
    workflow: restoreDrill,
    input: {},
    arrange: (world) => (world.service('hermes').backups[0].broken = 'BackupTruncated'),
    children: (workflowId) => [`${workflowId}-argus`, `${workflowId}-hermes`],
  },
  {
    // A passed drill keeps the warm standby of argus (hermes: off).
    name: 'restore-drill-standby',
    workflow: restoreDrill,
    input: {},
    arrange: (world) => world.enableStandby('argus'),
    children: (workflowId) => [`${workflowId}-argus`, `${workflowId}-hermes`],
  },
];

export interface RecordedHistory {
  /** Also the fixture's file name: replay needs the original ID, which child workflow IDs derive from. */
  workflowId: string;
  history: temporal.api.history.v1.IHistory;
}

/** Runs a scenario to completion and returns its history and its children's. */
export async function runScenario(
  client: Client,
  taskQueue: string,
  scenario: Scenario,
  resetWorld: (world: FakeWorld) => void,
): Promise<RecordedHistory[]> {
  const world = new FakeWorld();
  scenario.arrange?.(world);
  resetWorld(world);
  const workflowId = `replay-${scenario.name}`;
  const handle = await client.workflow.start(scenario.workflow, {
    taskQueue,
    workflowId,
    args: [scenario.input],
  });
  await scenario.interact?.(handle);
  await handle.result();
  const ids = [workflowId, ...(scenario.children?.(workflowId) ?? [])];
  return Promise.all(
    ids.map(async (id) => ({
      workflowId: id,
      history: await client.workflow.getHandle(id).fetchHistory(),
    })),
  );
}

const { History } = temporal.api.history.v1;

/**
 * History as protobuf JSON (enum names, base64 payloads, 64-bit numbers as strings). The SDK's
 * historyToJSON trips over two copies of protobufjs in node_modules, so fixtures use protobufjs' own form.
 */
export function historyToFixture(history: temporal.api.history.v1.IHistory): string {
  const object = History.toObject(History.fromObject(history), { longs: String, enums: String, bytes: String });
  return JSON.stringify(object, null, 1);
}

export function historyFromFixture(json: string): temporal.api.history.v1.History {
  return History.fromObject(JSON.parse(json) as Record<string, unknown>);
}
