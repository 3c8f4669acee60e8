import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Client, Connection, type WorkflowHandle } from '@temporalio/client';
import { afterAll, describe, expect, it } from 'vitest';
import { cliIdentity } from '../../client/temporal';
import { settings } from '../../shared/node/settings';
import { temporalConnectConfig } from '../../shared/node/temporal-connection';
import { loadTopology } from '../../shared/node/topology';
import type { ApprovalState, RestoreDatabaseResult } from '../../shared/workflow-types';
import { restoreDatabase } from '../../workflows';
import { approveUpdate, progressQuery, rejectUpdate } from '../../workflows/definitions';
import { runCli } from '../support/cli';
import { useWorkerProcess } from '../support/e2e-worker';
import { dropKeptDatabases } from '../support/sandbox-db';
import { testWorkflowId } from '../support/temporal-client';

/** The sandbox topology under the production approval rule: required, and never by the starter. */
function configWithProductionApproval(): string {
  const topology = { ...loadTopology(settings.configFile), approval: { required: true, distinctApprovers: true } };
  const file = path.join(mkdtempSync(path.join(tmpdir(), 'opareta-config-')), 'sandbox-four-eyes.json');
  writeFileSync(file, JSON.stringify(topology, null, 2));
  return file;
}

async function waitForAwaitingApproval(handle: WorkflowHandle): Promise<void> {
  for (let i = 0; i < 1200; i++) {
    const step = await handle
      .query(progressQuery)
      .then((p) => p.step)
      .catch(() => 'starting');
    if (step === 'awaiting-approval') return;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new Error(`${handle.workflowId} never waited for approval`);
}

describe('approval on the real server: the approver is the client identity', () => {
  const config = configWithProductionApproval();
  const { taskQueue, env } = useWorkerProcess('approval', () => ({ OPARETA_CONFIG: config }));
  const cliEnv = { ...env, OPARETA_CONFIG: config };
  const clients: Client[] = [];

  async function clientAs(identity: string): Promise<Client> {
    const temporal = temporalConnectConfig();
    const connection = await Connection.connect(temporal.connectionOptions);
    const client = new Client({ connection, namespace: temporal.namespace, identity });
    clients.push(client);
    return client;
  }

  afterAll(async () => {
    for (const client of clients) await client.connection.close();
    await dropKeptDatabases('argus');
  }, 60_000);

  it('refuses the starter’s own approval from the CLI; anyone may still reject', async () => {
    const start = await runCli(['restore', 'argus', '--json'], cliEnv);
    expect(start.code).toBe(0);
    const { workflowId } = JSON.parse(start.stdout) as { workflowId: string };
    const bob = await clientAs('bob@e2e-approval');
    const handle = bob.workflow.getHandle<typeof restoreDatabase>(workflowId);
    await waitForAwaitingApproval(handle);

    const own = await runCli(['approve', workflowId, '--by', 'me, honestly'], cliEnv);
    expect(own.code).toBe(1);
    expect(own.stderr).toContain(`${cliIdentity()} started this restore and cannot approve it: someone else must`);

    const rejected = await handle.executeUpdate(rejectUpdate, { args: [{ reason: 'e2e: nothing to swap' }] });
    expect(rejected.status).toBe('rejected');
    const result = await handle.result();
    expect(result.outcome).toBe('rejected');
    expect(result.approval).toMatchObject({ identity: 'bob@e2e-approval', startedBy: cliIdentity(), approvals: [] });
  }, 300_000);

  it('records the CLI’s client identity as the approver, `--by` as a note, and the starter beside it', async () => {
    const alice = await clientAs('alice@e2e-approval');
    const handle = await alice.workflow.start(restoreDatabase, {
      taskQueue,
      workflowId: testWorkflowId('e2e-approval'),
      args: [{ service: 'argus' }],
    });
    await waitForAwaitingApproval(handle);
    const own: ApprovalState = await handle.executeUpdate(approveUpdate, { args: [{ by: 'bob' }] });
    expect(own.status).toBe('refused');

    const approve = await runCli(['approve', handle.workflowId, '--by', 'on-call note', '--json'], cliEnv);
    expect(approve.code).toBe(0);
    expect(JSON.parse(approve.stdout)).toMatchObject({ status: 'approved' });

    const result: RestoreDatabaseResult = await handle.result();
    expect(result.outcome).toBe('restored');
    expect(result.approval).toMatchObject({
      decision: 'approved',
      identity: cliIdentity(),
      by: 'on-call note',
      startedBy: 'alice@e2e-approval',
      approvals: [{ identity: cliIdentity(), by: 'on-call note' }],
    });
    // The identity is Temporal's record of each request, not something the workflow was told: alice's own
    // approval passed the validator (the restore was waiting) and was refused by the rule, then the CLI's counted.
    const events = (await handle.fetchHistory()).events ?? [];
    const accepted = events.flatMap((e) => e.workflowExecutionUpdateAcceptedEventAttributes ?? []);
    expect(accepted.map((a) => a.acceptedRequest?.meta?.identity)).toEqual(['alice@e2e-approval', cliIdentity()]);
    expect(events[0].workflowExecutionStartedEventAttributes?.identity).toBe('alice@e2e-approval');
  }, 300_000);
});
