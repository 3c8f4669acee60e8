import { describe, expect, it } from 'vitest';
import { RESTORE_BACKUP_ACTIVITY } from '../../shared/activity-contract';
import type { RestoreDatabaseInput, RestoreDrillInput } from '../../shared/workflow-types';
import { rejectSignal } from '../../workflows/definitions';
import { fullSystemRestore, restoreDatabase, restoreDrill } from '../../workflows';
import { FakeWorld } from './support/fake-world';
import { uniqueId } from './support/outcomes';
import { useWorkflowTestbed, waitForStep } from './support/workflow-env';

/** The warm standby: kept by a passed drill, swapped in by a restore of its very backup, else a normal restore. */
const bed = useWorkflowTestbed('standby');

const LATEST = 'argus_20261124_020000.sql.gz';
const PREVIOUS = 'argus_20261123_020000.sql.gz';

function standbyWorld(): FakeWorld {
  const world = bed.reset(new FakeWorld());
  world.enableStandby('argus');
  return world;
}

async function drill(input: RestoreDrillInput) {
  return bed.env.client.workflow.execute(restoreDrill, {
    taskQueue: bed.taskQueue,
    workflowId: uniqueId('drill'),
    args: [input],
  });
}

function startRestore(input: RestoreDatabaseInput) {
  return bed.env.client.workflow.start(restoreDatabase, {
    taskQueue: bed.taskQueue,
    workflowId: uniqueId(`restore-${input.service}`),
    args: [input],
  });
}

async function restore(input: RestoreDatabaseInput) {
  return (await startRestore(input)).result();
}

describe('the drill keeps a warm standby', () => {
  it('keeps the verified scratch database as the standby when the drill passed and the standby is on', async () => {
    const world = standbyWorld();
    const result = await drill({ services: ['argus', 'hermes'] });

    const argus = result.services.find((s) => s.service === 'argus')!;
    expect(argus.passed).toBe(true);
    const name = argus.scratchDatabase.replace('_drill_', '_standby_');
    expect(argus.standby).toMatchObject({ kept: true, database: name, backupFile: LATEST, dropped: [] });
    expect(argus.standby?.sizeBytes).toBe(100 * 1024);
    expect(argus.cleanedUp).toBe(true);
    expect(world.databaseNames('argus')).toEqual(['argus_db', name]);
    const [kept] = world.standbys('argus');
    expect(kept.locked).toBe(true);
    expect(kept.record).toMatchObject({
      database: name,
      backupFile: LATEST,
      liveSchemaFingerprint: 'schema-v1',
      manifest: { tables: [{ table: 'public.items', rows: 100 }] },
    });
    expect(kept.record?.checks.every((c) => c.passed)).toBe(true);
    // Off for hermes: its scratch database is dropped as before.
    const hermes = result.services.find((s) => s.service === 'hermes')!;
    expect(hermes.standby).toMatchObject({ kept: false, reason: expect.stringContaining('off for hermes') });
    expect(world.databaseNames('hermes')).toEqual(['hermes_db']);
    // Never the live database.
    expect(world.live('argus')?.origin).toBe('original');
    expect(world.called('dropDatabase')).toEqual([{ service: 'hermes', database: hermes.scratchDatabase }]);
  });

  it('replaces the previous standby, only once the new one is kept', async () => {
    const world = standbyWorld();
    const old = world.plantStandby('argus', PREVIOUS);
    const [argus] = (await drill({ services: ['argus'] })).services;

    expect(argus.standby?.kept).toBe(true);
    expect(argus.standby?.dropped).toEqual([old]);
    expect(world.databaseNames('argus')).toEqual(['argus_db', argus.standby!.database!]);
    const calls = world.calls.map((c) => c.name);
    expect(calls.indexOf('keepStandby')).toBeLessThan(calls.indexOf('dropStandby'));
  });

  it('keeps nothing when the drill fails, and leaves the previous standby', async () => {
    const world = standbyWorld();
    const old = world.plantStandby('argus', PREVIOUS);
    world.failVerification.add('argus');
    const [argus] = (await drill({ services: ['argus'] })).services;

    expect(argus.passed).toBe(false);
    expect(argus.standby).toMatchObject({ kept: false, reason: expect.stringContaining('did not pass') });
    expect(world.databaseNames('argus')).toEqual(['argus_db', old]);
    expect(world.called('keepStandby')).toEqual([]);
  });

  it('drops the new standby again when the volume is left below the floor', async () => {
    const world = standbyWorld();
    world.freeDiskBytes = 100 * 1024 ** 2; // 100 MB: the drill fits, the 2048 MB floor does not
    const [argus] = (await drill({ services: ['argus'] })).services;

    expect(argus.passed).toBe(true);
    expect(argus.standby?.kept).toBe(false);
    expect(argus.standby?.reason).toMatch(/not enough disk room: .* below the floor of 2048 MB: dropped/);
    expect(argus.standby?.dropped).toEqual([argus.scratchDatabase.replace('_drill_', '_standby_')]);
    expect(world.databaseNames('argus')).toEqual(['argus_db']);
  });
});

describe('a restore swaps in the standby of its backup', () => {
  it('uses the standby of the latest backup: no restore, no verification, straight to the swap', async () => {
    const world = standbyWorld();
    const standby = world.plantStandby('argus', LATEST);
    const result = await restore({ service: 'argus' });

    expect(result.outcome).toBe('restored');
    expect(result.fromStandby).toBe(true);
    expect(result.standby).toBe(standby);
    expect(result.standbyUnusedReason).toBeUndefined();
    expect(world.called(RESTORE_BACKUP_ACTIVITY)).toEqual([]);
    expect(world.called('verifyRestoredDatabase')).toEqual([]);
    expect(world.called('verifyBackup')).toEqual([]);
    expect(world.called('checkDiskRoom')).toEqual([]);
    expect(world.called('useStandby')).toEqual([{ service: 'argus', standby, target: result.databases.side }]);
    // The swap as always: the standby's data live, the old live kept as pre_restore.
    expect(world.live('argus')?.origin).toBe(LATEST);
    expect(world.databaseNames('argus')).toEqual(['argus_db', result.databases.preRestore]);
    expect(world.database('argus', result.databases.preRestore)?.origin).toBe('original');
    // The plan and the swap preview come from the recorded manifest.
    expect(result.backup).toMatchObject({ file: LATEST, uncompressedBytes: 10_000 });
    expect(result.expectedLoss).toEqual([{ table: 'public.items', liveRows: 105, backupRows: 100, difference: -5 }]);
    expect(result.verification?.passed).toBe(true);
    expect(result.plan.join('\n')).toContain(`rename the warm standby ${standby}`);
  });

  it('restores normally when the standby holds another backup than the chosen one (a newer backup exists)', async () => {
    const world = standbyWorld();
    const standby = world.plantStandby('argus', PREVIOUS);
    const result = await restore({ service: 'argus' });

    expect(result.outcome).toBe('restored');
    expect(result.fromStandby).toBe(false);
    expect(result.standbyUnusedReason).toBe(`no standby of the chosen backup ${LATEST}: ${standby} holds ${PREVIOUS}`);
    expect(world.called(RESTORE_BACKUP_ACTIVITY)).toHaveLength(1);
    expect(world.called('verifyRestoredDatabase')).toHaveLength(1);
    expect(world.called('useStandby')).toEqual([]);
    expect(world.live('argus')?.origin).toBe(LATEST);
    // The stale standby is left alone while there is room.
    expect(world.databaseNames('argus')).toContain(standby);
  });

  it('uses the standby of a named older backup', async () => {
    const world = standbyWorld();
    world.plantStandby('argus', PREVIOUS);
    const result = await restore({ service: 'argus', backup: PREVIOUS });
    expect(result.fromStandby).toBe(true);
    expect(world.live('argus')?.origin).toBe(PREVIOUS);
  });

  it('restores normally when the live schema changed since the standby was kept', async () => {
    const world = standbyWorld();
    const standby = world.plantStandby('argus', LATEST);
    world.liveFingerprints.set('argus', 'schema-v2');
    const result = await restore({ service: 'argus' });

    expect(result.outcome).toBe('restored');
    expect(result.fromStandby).toBe(false);
    expect(result.standbyUnusedReason).toMatch(/^the live schema of argus_db changed since .* was kept/);
    expect(world.called(RESTORE_BACKUP_ACTIVITY)).toHaveLength(1);
    expect(world.databaseNames('argus')).toContain(standby);
  });

  it('restores normally when asked to (useStandby: false) and in in-place mode', async () => {
    let world = standbyWorld();
    world.plantStandby('argus', LATEST);
    const refused = await restore({ service: 'argus', useStandby: false });
    expect(refused.fromStandby).toBe(false);
    expect(refused.standbyUnusedReason).toBe('the input said useStandby: false');
    expect(world.called('listStandbys')).toEqual([]);
    expect(world.called(RESTORE_BACKUP_ACTIVITY)).toHaveLength(1);

    world = standbyWorld();
    world.plantStandby('argus', LATEST);
    const inPlace = await restore({ service: 'argus', mode: 'in-place' });
    expect(inPlace.fromStandby).toBe(false);
    expect(inPlace.standbyUnusedReason).toBe('in-place mode never uses a standby');
  });

  it('drops a stale standby to make room for the side restore, and says so', async () => {
    const world = standbyWorld();
    const stale = world.plantStandby('argus', PREVIOUS);
    world.freeDiskBytes = 5000; // the side restore needs 9600 bytes here; the standby frees 90 KB
    const result = await restore({ service: 'argus' });

    expect(result.outcome).toBe('restored');
    expect(result.standbysDropped).toEqual([stale]);
    expect(result.plan[0]).toContain(`dropped ${stale} to make room`);
    expect(world.databaseNames('argus')).not.toContain(stale);
  });

  it('a dry run drops nothing to make room', async () => {
    const world = standbyWorld();
    const stale = world.plantStandby('argus', PREVIOUS);
    world.freeDiskBytes = 5000;
    await expect(restore({ service: 'argus', dryRun: true })).rejects.toThrow();
    expect(world.databaseNames('argus')).toContain(stale);
    expect(world.called('dropStandby')).toEqual([]);
  });

  it('a rejected swap drops the side database the standby became, and touches nothing live', async () => {
    const world = standbyWorld();
    const standby = world.plantStandby('argus', LATEST);
    const handle = await startRestore({ service: 'argus', requireApproval: true });
    await waitForStep(handle, 'awaiting-approval');
    await handle.signal(rejectSignal, { by: 'dba' });
    const result = await handle.result();

    expect(result.outcome).toBe('rejected');
    expect(result.fromStandby).toBe(true);
    expect(result.compensations).toEqual([`drop ${result.databases.side} (the standby ${standby}, renamed into it)`]);
    expect(world.databaseNames('argus')).toEqual(['argus_db']);
    expect(world.live('argus')?.origin).toBe('original');
    expect(world.called('stopApps')).toEqual([]);
  });

  it('restores normally when the standby is gone by the time it is used (a drill replaced it meanwhile)', async () => {
    const world = standbyWorld();
    const standby = world.plantStandby('argus', LATEST);
    const gate = world.gate('useStandby');
    const handle = await startRestore({ service: 'argus' });
    await gate.entered;
    world.databases.get('argus')!.delete(standby);
    gate.release();
    const result = await handle.result();

    expect(result.outcome).toBe('restored');
    expect(result.fromStandby).toBe(false);
    expect(result.standbyUnusedReason).toBe(`the standby ${standby} was gone when the restore came to use it`);
    expect(world.called(RESTORE_BACKUP_ACTIVITY)).toHaveLength(1);
    expect(world.called('verifyRestoredDatabase')).toHaveLength(1);
    expect(world.live('argus')?.origin).toBe(LATEST);
  });

  it('a full-system restore swaps in the standby where there is one and restores the others', async () => {
    const world = standbyWorld();
    world.plantStandby('argus', LATEST);
    const result = await bed.env.client.workflow.execute(fullSystemRestore, {
      taskQueue: bed.taskQueue,
      workflowId: uniqueId('full'),
      args: [{}],
    });

    expect(result.outcome).toBe('restored');
    const part = (service: string) => result.services.find((s) => s.service === service)!;
    expect(part('argus').fromStandby).toBe(true);
    expect(part('hermes').fromStandby).toBe(false);
    expect(part('hermes').standbyUnusedReason).toContain('off for hermes');
    expect(world.called(RESTORE_BACKUP_ACTIVITY).map((c) => (c as { service: string }).service)).toEqual(['hermes']);
    expect(world.live('argus')?.origin).toBe(LATEST);
    expect(world.live('hermes')?.origin).toBe('hermes_20261124_020000.sql.gz');
  });

  it('a drill then a restore of latest: the standby the drill kept is the one swapped in', async () => {
    const world = standbyWorld();
    const [drilled] = (await drill({ services: ['argus'] })).services;
    const result = await restore({ service: 'argus' });
    expect(result.fromStandby).toBe(true);
    expect(result.standby).toBe(drilled.standby?.database);
    expect(world.called(RESTORE_BACKUP_ACTIVITY)).toHaveLength(1); // the drill's only
  });
});
