import { describe, expect, it } from 'vitest';
import { RESTORE_BACKUP_ACTIVITY } from '../../shared/activity-contract';
import type { RestoreDatabaseInput, RestoreDatabaseResult } from '../../shared/workflow-types';
import { approveSignal, rejectSignal, swapPreviewQuery } from '../../workflows/definitions';
import { restoreDatabase } from '../../workflows';
import { FakeWorld } from './support/fake-world';
import { applicationFailure, failureOf, uniqueId } from './support/outcomes';
import { useWorkflowTestbed, waitForStep } from './support/workflow-env';

const READ_ONLY = new Set([
  'describeService',
  'listServices',
  'serviceHosts',
  'listBackups',
  'selectBackup',
  'verifyBackup',
  'snapshotDatabase',
  'approvalRule',
  'checkDiskRoom',
]);

describe('restoreDatabase decisions', () => {
  const bed = useWorkflowTestbed('restore-database');

  function start(input: RestoreDatabaseInput) {
    return bed.env.client.workflow.start(restoreDatabase, {
      taskQueue: bed.taskQueue,
      workflowId: uniqueId(`restore-${input.service}`),
      args: [input],
    });
  }

  async function run(input: RestoreDatabaseInput): Promise<RestoreDatabaseResult> {
    return (await start(input)).result();
  }

  function callNames(world: FakeWorld): string[] {
    return world.calls.map((c) => c.name);
  }

  it('restores beside the live database and swaps it in, keeping the old one as pre_restore', async () => {
    const world = bed.reset();
    const result = await run({ service: 'argus' });

    expect(result.outcome).toBe('restored');
    expect(result.backup?.file).toBe('argus_20261124_020000.sql.gz');
    expect(world.live('argus')?.origin).toBe('argus_20261124_020000.sql.gz');
    expect(world.databaseNames('argus')).toEqual(['argus_db', result.databases.preRestore]);
    expect(world.database('argus', result.databases.preRestore)?.origin).toBe('original');
    expect(result.databases.side).toMatch(/^argus_db_restore_\d{14}_[0-9a-f]{6}$/);
    expect(world.service('argus').appsRunning).toBe(true);
    expect(result.expectedLoss).toEqual([{ table: 'public.items', liveRows: 105, backupRows: 100, difference: -5 }]);
    expect(result.containers.map((c) => c.state)).toEqual(['running', 'running']);
    expect(result.downtimeSeconds).toBeGreaterThanOrEqual(0);
    expect(result.rolledBack).toBe(false);
    // The apps go down only after the restore and its verification, and come back after the renames.
    const calls = callNames(world);
    expect(calls.indexOf('stopApps')).toBeGreaterThan(calls.indexOf('verifyRestoredDatabase'));
    expect(calls.indexOf('swapDatabaseNames')).toBeGreaterThan(calls.indexOf('stopApps'));
    expect(calls.indexOf('swapDatabaseNames')).toBeLessThan(calls.indexOf('startApps'));
    expect(world.called('notify').map((n) => (n as { kind: string }).kind)).toEqual([
      'restore-planned',
      'restore-outcome',
    ]);
    // One read of the backup: no verifyBackup, the restore's own pass gave the manifest the plan now counts with.
    expect(world.called('verifyBackup')).toEqual([]);
    expect(world.called(RESTORE_BACKUP_ACTIVITY)).toEqual([
      { service: 'argus', file: 'argus_20261124_020000.sql.gz', targetDatabase: result.databases.side },
    ]);
    expect(result.backup?.uncompressedBytes).toBe(10_000);
    expect(result.plan.join('\n')).toContain('the swap would lose 5 row(s) of public.items');
  });

  it('takes the manifest from the restored tables when the worker returns none (a worker from before)', async () => {
    const world = bed.reset();
    world.restoreWithoutManifest = true;
    const result = await run({ service: 'argus' });

    expect(result.outcome).toBe('restored');
    expect(result.verification?.passed).toBe(true);
    expect(result.expectedLoss).toEqual([{ table: 'public.items', liveRows: 105, backupRows: 100, difference: -5 }]);
    // The SQL size is what only a manifest knows.
    expect(result.backup?.uncompressedBytes).toBe(0);
    expect(world.called('verifyBackup')).toEqual([]);
  });

  it('passes the jobs of its input to the restore; without it the worker decides', async () => {
    const world = bed.reset();
    expect((await run({ service: 'argus', jobs: 3 })).outcome).toBe('restored');
    expect(world.called(RESTORE_BACKUP_ACTIVITY)).toEqual([expect.objectContaining({ service: 'argus', jobs: 3 })]);
    const again = bed.reset();
    expect((await run({ service: 'argus' })).outcome).toBe('restored');
    expect(again.called(RESTORE_BACKUP_ACTIVITY)).toHaveLength(1);
    expect((again.called(RESTORE_BACKUP_ACTIVITY)[0] as { jobs?: number }).jobs).toBeUndefined();
    const refused = applicationFailure(await failureOf(await start({ service: 'argus', jobs: 0 })));
    expect(refused?.message).toMatch(/jobs/);
    expect(refused?.nonRetryable).toBe(true);
  });

  it('drops the side database and leaves live and apps untouched when verification fails', async () => {
    const world = bed.reset();
    world.failVerification.add('argus');
    const result = await run({ service: 'argus' });

    expect(result.outcome).toBe('verification-failed');
    expect(world.databaseNames('argus')).toEqual(['argus_db']);
    expect(world.live('argus')?.origin).toBe('original');
    expect(world.called('stopApps')).toEqual([]);
    expect(world.called('renameDatabase')).toEqual([]);
    expect(result.compensations).toEqual([`drop ${result.databases.side}`]);
    expect(result.detail).toContain('service checks');
  });

  it('swaps back and restarts the apps when health fails after the swap', async () => {
    const world = bed.reset();
    world.unhealthyBackups.add('argus_20261124_020000.sql.gz');
    const result = await run({ service: 'argus' });

    expect(result.outcome).toBe('rolled-back');
    expect(result.rolledBack).toBe(true);
    expect(world.live('argus')?.origin).toBe('original');
    // The restored database is kept, never dropped: the apps may have written to it after the swap.
    expect(world.databaseNames('argus')).toEqual(['argus_db', result.databases.failedRestore]);
    expect(world.database('argus', result.databases.failedRestore)?.origin).toBe('argus_20261124_020000.sql.gz');
    // Only the side name is ever dropped (gone by then: the swap renamed it).
    expect(world.called('dropDatabase')).toEqual([{ service: 'argus', database: result.databases.side }]);
    expect(world.service('argus').appsRunning).toBe(true);
    expect(result.compensations[0]).toBe('swap back argus');
    expect(result.health?.healthy).toBe(false);
    expect(result.failedRestore).toEqual({
      database: result.databases.failedRestore,
      rowsChangedAfterSwap: 0,
      tablesChangedAfterSwap: [],
    });
    expect(result.detail).toContain(`kept ${result.databases.failedRestore} (0 row(s) written after the swap)`);
    expect(world.called('swapDatabaseNames')).toHaveLength(1);
    expect(world.called('swapBackDatabaseNames')).toHaveLength(1);
  });

  it('swaps back when the restarted apps log database errors', async () => {
    const world = bed.reset();
    world.logErrorBackups.add('argus_20261124_020000.sql.gz');
    const result = await run({ service: 'argus' });

    expect(result.outcome).toBe('rolled-back');
    expect(result.detail).toContain('database error line');
    expect(world.live('argus')?.origin).toBe('original');
  });

  it('in-place mode keeps the apps down for the whole restore and still keeps the old database', async () => {
    const world = bed.reset();
    const result = await run({ service: 'argus', mode: 'in-place' });

    expect(result.outcome).toBe('restored');
    const calls = callNames(world);
    expect(calls.indexOf('stopApps')).toBeLessThan(calls.indexOf(RESTORE_BACKUP_ACTIVITY));
    // The apps go down only for a backup read end to end first.
    expect(calls.indexOf('verifyBackup')).toBeGreaterThanOrEqual(0);
    expect(calls.indexOf('verifyBackup')).toBeLessThan(calls.indexOf('stopApps'));
    expect(world.live('argus')?.origin).toBe('argus_20261124_020000.sql.gz');
    expect(world.database('argus', result.databases.preRestore)?.origin).toBe('original');
    expect(world.service('argus').appsRunning).toBe(true);
  });

  it('in-place mode restarts the apps when the restore fails', async () => {
    const world = bed.reset();
    world.failRestore.add('argus');
    const handle = await start({ service: 'argus', mode: 'in-place' });
    const failure = await failureOf(handle);

    expect(applicationFailure(failure)?.type).toBe('RestoreFailed');
    expect(world.service('argus').appsRunning).toBe(true);
    expect(world.live('argus')?.origin).toBe('original');
    expect(world.databaseNames('argus')).toEqual(['argus_db']);
    expect(callNames(world).filter((n) => n === 'startApps')).toHaveLength(1);
  });

  it('waits for approval, shows what the swap would lose, and swaps once approved', async () => {
    const world = bed.reset();
    const handle = await start({ service: 'argus', requireApproval: true });
    await waitForStep(handle, 'awaiting-approval');
    const preview = await handle.query(swapPreviewQuery);
    expect(preview.services.argus).toEqual([{ table: 'public.items', liveRows: 105, backupRows: 100, difference: -5 }]);
    expect(world.called('stopApps')).toEqual([]);

    await handle.signal(approveSignal, { by: 'sre-on-call', reason: 'ticket 42' });
    const result = await handle.result();
    expect(result.outcome).toBe('restored');
    expect(result.approval).toMatchObject({
      required: true,
      decision: 'approved',
      by: 'sre-on-call',
      reason: 'ticket 42',
    });
    // The approver is the client identity Temporal recorded for the signal; `by` is a note.
    expect(result.approval.identity).toBe(result.approval.startedBy);
    expect(result.approval.identity).toMatch(/\S/);
    expect(world.live('argus')?.origin).toBe('argus_20261124_020000.sql.gz');
  });

  it('drops the side database and touches nothing live when rejected', async () => {
    const world = bed.reset();
    const handle = await start({ service: 'argus', requireApproval: true });
    await waitForStep(handle, 'awaiting-approval');
    await handle.signal(rejectSignal, { by: 'dba' });
    const result = await handle.result();

    expect(result.outcome).toBe('rejected');
    expect(result.approval.decision).toBe('rejected');
    expect(world.databaseNames('argus')).toEqual(['argus_db']);
    expect(world.called('stopApps')).toEqual([]);
  });

  it('treats an approval timeout as a rejection', async () => {
    const world = bed.reset();
    // A short real timeout: the test server's automatic time skipping stays locked after a signalled run.
    const result = await run({ service: 'argus', requireApproval: true, approvalTimeout: '2s' });

    expect(result.outcome).toBe('approval-timed-out');
    expect(result.approval.reason).toContain('within 2 s');
    expect(world.databaseNames('argus')).toEqual(['argus_db']);
    expect(world.live('argus')?.origin).toBe('original');
  });

  it('falls back to the previous generation when the latest backup proves broken during its restore', async () => {
    const world = bed.reset();
    const [newest, previous] = world.service('hermes').backups;
    newest.broken = 'BackupTruncated';
    // Even when the broken restore's own clean-up failed: the next restore into the side name starts from nothing.
    world.brokenRestoreLeavesTarget = true;
    const result = await run({ service: 'hermes' });

    expect(result.outcome).toBe('restored');
    expect(result.backup?.file).toBe(previous.file);
    expect(result.fallbackFrom).toBe(newest.file);
    expect(result.brokenBackups).toEqual([
      { file: newest.file, errorType: 'BackupTruncated', message: `${newest.file} is broken` },
    ]);
    expect(world.live('hermes')?.origin).toBe(previous.file);
    expect(world.called('verifyBackup')).toEqual([]);
    const side = result.databases.side;
    expect(world.called(RESTORE_BACKUP_ACTIVITY)).toEqual([
      { service: 'hermes', file: newest.file, targetDatabase: side },
      { service: 'hermes', file: previous.file, targetDatabase: side },
    ]);
    expect(world.databaseNames('hermes')).toEqual(['hermes_db', result.databases.preRestore]);
    expect(result.plan.join('\n')).toContain(`restore ${previous.file} `);
    expect(result.plan.join('\n')).toContain(`instead of the broken ${newest.file}`);
    expect(result.expectedLoss).toEqual([{ table: 'public.items', liveRows: 205, backupRows: 190, difference: -15 }]);
  });

  it('fails naming every broken file when no generation restores, leaving no side database', async () => {
    const world = bed.reset();
    const backups = world.service('hermes').backups;
    for (const backup of backups) backup.broken = 'BackupIncomplete';
    world.brokenRestoreLeavesTarget = true;
    const failure = await failureOf(await start({ service: 'hermes' }));

    const cause = applicationFailure(failure);
    expect(cause?.type).toBe('BackupIncomplete');
    expect(cause?.message).toContain('no usable backup of hermes');
    expect(cause?.details?.[0]).toEqual(
      backups.map((b) => ({ file: b.file, errorType: 'BackupIncomplete', message: `${b.file} is broken` })),
    );
    expect(world.called(RESTORE_BACKUP_ACTIVITY).map((c) => (c as { file: string }).file)).toEqual(
      backups.map((b) => b.file),
    );
    // The workflow's own compensation drops what the last broken restore left.
    expect(world.databaseNames('hermes')).toEqual(['hermes_db']);
    expect(world.live('hermes')?.origin).toBe('original');
    expect(world.called('stopApps')).toEqual([]);
  });

  it('does not fall back from a backup file the SRE named', async () => {
    const world = bed.reset();
    const [newest] = world.service('hermes').backups;
    newest.broken = 'BackupCorrupt';
    const failure = await failureOf(await start({ service: 'hermes', backup: newest.file }));

    expect(applicationFailure(failure)?.type).toBe('BackupCorrupt');
    expect(applicationFailure(failure)?.message).toContain(newest.file);
    expect(world.called(RESTORE_BACKUP_ACTIVITY).map((c) => (c as { file: string }).file)).toEqual([newest.file]);
    expect(world.called('selectBackup')).not.toContainEqual(
      expect.objectContaining({ selector: expect.objectContaining({ kind: 'previous' }) }),
    );
    expect(world.databaseNames('hermes')).toEqual(['hermes_db']);
  });

  it('in-place mode verifies the backups before stopping the apps, and falls back before it', async () => {
    const world = bed.reset();
    const [newest, previous] = world.service('hermes').backups;
    newest.broken = 'BackupTruncated';
    const result = await run({ service: 'hermes', mode: 'in-place' });

    expect(result.outcome).toBe('restored');
    expect(result.fallbackFrom).toBe(newest.file);
    expect(world.called('verifyBackup').map((c) => (c as { file: string }).file)).toEqual([newest.file, previous.file]);
    expect(world.called(RESTORE_BACKUP_ACTIVITY).map((c) => (c as { file: string }).file)).toEqual([previous.file]);
    const calls = callNames(world);
    expect(calls.lastIndexOf('verifyBackup')).toBeLessThan(calls.indexOf('stopApps'));
  });

  it('picks the newest backup before a given time', async () => {
    const world = bed.reset();
    const result = await run({ service: 'argus', before: '2026-11-23T12:00:00Z' });
    expect(result.backup?.file).toBe(world.service('argus').backups[1].file);
  });

  it('dryRun returns the plan and only reads', async () => {
    const world = bed.reset();
    const result = await run({ service: 'argus', dryRun: true, requireApproval: true });

    expect(result.outcome).toBe('dry-run');
    // It restores nothing, so it reads the backup with verifyBackup.
    expect(world.called('verifyBackup')).toEqual([{ service: 'argus', file: 'argus_20261124_020000.sql.gz' }]);
    expect(result.plan.join('\n')).toContain('the swap would lose 5 row(s) of public.items');
    expect(result.plan.join('\n')).toContain('wait for one approval');
    expect(callNames(world).filter((name) => !READ_ONLY.has(name))).toEqual([]);
    expect(world.databaseNames('argus')).toEqual(['argus_db']);
  });

  it('refuses a second restore of a service while one runs, whatever its workflow ID', async () => {
    const world = bed.reset();
    const gate = world.gate(RESTORE_BACKUP_ACTIVITY);
    const first = await start({ service: 'argus' });
    await gate.entered;

    const second = await failureOf(await start({ service: 'argus' }));
    expect(applicationFailure(second)?.type).toBe('RestoreAlreadyRunning');
    expect(applicationFailure(second)?.nonRetryable).toBe(true);

    gate.release();
    expect((await first.result()).outcome).toBe('restored');
    // The lock is released with the first restore: a third may run.
    expect((await run({ service: 'argus' })).outcome).toBe('restored');
  });

  it.each([
    [{}, 'service'],
    [{ service: 'argus', mode: 'sideways' }, 'mode'],
    [{ service: 'argus', approvalTimeout: 'soon' }, 'approvalTimeout'],
    [{ service: 'argus', backup: '../etc/passwd' }, 'backup'],
    [{ service: 'argus', backup: 'argus_20261124_020000.sql.gz', before: '2026-11-23T12:00:00Z' }, 'before'],
    [{ service: 'argus', before: 'yesterday' }, 'before'],
  ])('rejects invalid input %j naming the field, without retrying', async (input, field) => {
    const world = bed.reset();
    const failure = await failureOf(await start(input as RestoreDatabaseInput));
    const cause = applicationFailure(failure);
    expect(cause?.type).toBe('InvalidInput');
    expect(cause?.nonRetryable).toBe(true);
    expect(cause?.message).toContain(`${field}:`);
    expect(world.calls).toEqual([]);
  });

  it('fails with the activity error when the service is unknown', async () => {
    bed.reset(new FakeWorld({ argus: [1] }));
    const failure = await failureOf(await start({ service: 'nosuch' }));
    expect(applicationFailure(failure)?.type).toBe('UnknownService');
  });
});
