import { describe, expect, it } from 'vitest';
import { RESTORE_BACKUP_ACTIVITY } from '../../shared/activity-contract';
import type { FullSystemRestoreInput } from '../../shared/workflow-types';
import { approveSignal } from '../../workflows/definitions';
import { fullSystemRestore, restoreDatabase } from '../../workflows';
import { applicationFailure, failureOf, uniqueId, wasCancelled } from './support/outcomes';
import { useWorkflowTestbed, waitForStep } from './support/workflow-env';

describe('fullSystemRestore decisions', () => {
  const bed = useWorkflowTestbed('full-system-restore');

  function start(input: FullSystemRestoreInput) {
    return bed.env.client.workflow.start(fullSystemRestore, {
      taskQueue: bed.taskQueue,
      workflowId: uniqueId('full-restore'),
      args: [input],
    });
  }

  it('restores every service from {} and reports the time skew between their newest backups', async () => {
    const world = bed.reset();
    const hermesNewest = world.service('hermes').backups[0];
    hermesNewest.takenAt = new Date(Date.parse(hermesNewest.takenAt) - 90 * 60_000).toISOString();
    const result = await (await start({})).result();

    expect(result.outcome).toBe('restored');
    expect(result.services.map((s) => [s.service, s.outcome, s.backup?.file])).toEqual([
      ['argus', 'restored', 'argus_20261124_020000.sql.gz'],
      ['hermes', 'restored', hermesNewest.file],
    ]);
    expect(result.timeSkewHours).toBe(1.5);
    expect(world.live('argus')?.origin).toBe('argus_20261124_020000.sql.gz');
    expect(world.live('hermes')?.origin).toBe(hermesNewest.file);
    expect(result.downtimeSeconds).toBeGreaterThanOrEqual(0);
    expect(result.services.every((s) => s.downtimeSeconds !== undefined)).toBe(true);
    // Both restores ran before either service's apps were stopped.
    const calls = world.calls.map((c) => c.name);
    expect(calls.lastIndexOf(RESTORE_BACKUP_ACTIVITY)).toBeLessThan(calls.indexOf('stopApps'));
  });

  it('picks one generation for every service by its YYYYMMDD_HHMMSS timestamp', async () => {
    const world = bed.reset();
    const result = await (await start({ timestamp: '20261123_020000' })).result();

    expect(result.services.map((s) => s.backup?.file)).toEqual([
      'argus_20261123_020000.sql.gz',
      'hermes_20261123_020000.sql.gz',
    ]);
    expect(world.live('hermes')?.tables).toEqual([{ table: 'public.items', rows: 190 }]);
    expect(result.timeSkewHours).toBe(0);
  });

  it('takes the backup of a generation that a nightly job named a few minutes after the timestamp', async () => {
    const world = bed.reset();
    const hermes = world.service('hermes').backups[1];
    hermes.file = 'hermes_20261123_020412.sql.gz';
    hermes.takenAt = '2026-11-23T02:04:12.000Z';
    const result = await (await start({ timestamp: '20261123_020000' })).result();

    expect(result.services.map((s) => s.backup?.file)).toEqual([
      'argus_20261123_020000.sql.gz',
      'hermes_20261123_020412.sql.gz',
    ]);
    expect(result.timeSkewHours).toBeCloseTo(0.07, 2);
  });

  it('fails without touching anything when a service has no backup of that generation', async () => {
    const world = bed.reset();
    world.service('hermes').backups.splice(1, 1);
    const failure = await failureOf(await start({ timestamp: '20261123_020000' }));

    expect(applicationFailure(failure)?.type).toBe('BackupNotFound');
    expect(applicationFailure(failure)?.message).toContain(
      'hermes has no backup taken within 30 minutes of 20261123_020000',
    );
    expect(world.called(RESTORE_BACKUP_ACTIVITY)).toEqual([]);
  });

  it('swaps none when one service fails verification (all or nothing)', async () => {
    const world = bed.reset();
    world.failVerification.add('hermes');
    const result = await (await start({})).result();

    expect(result.outcome).toBe('verification-failed');
    expect(result.detail).toContain('hermes');
    expect(world.called('stopApps')).toEqual([]);
    expect(world.databaseNames('argus')).toEqual(['argus_db']);
    expect(world.databaseNames('hermes')).toEqual(['hermes_db']);
    expect(world.live('argus')?.origin).toBe('original');
  });

  it('swaps every service back when one is unhealthy after the swap', async () => {
    const world = bed.reset();
    world.unhealthyBackups.add(world.service('hermes').backups[0].file);
    const result = await (await start({})).result();

    expect(result.outcome).toBe('rolled-back');
    expect(result.rolledBack).toBe(true);
    expect(result.compensations.filter((c) => c.startsWith('swap back')).sort()).toEqual([
      'swap back argus',
      'swap back hermes',
    ]);
    for (const service of ['argus', 'hermes']) {
      expect(world.live(service)?.origin).toBe('original');
      const report = result.services.find((r) => r.service === service);
      expect(world.databaseNames(service)).toEqual([`${service}_db`, report?.databases.failedRestore]);
      expect(world.service(service).appsRunning).toBe(true);
    }
  });

  it('asks for one approval for all services', async () => {
    const world = bed.reset();
    const handle = await start({ requireApproval: true });
    const progress = await waitForStep(handle, 'awaiting-approval');
    expect(Object.keys(progress.services).sort()).toEqual(['argus', 'hermes']);
    expect(progress.services.argus.bytesDone).toBe(10_000);
    await handle.signal(approveSignal, { by: 'incident-commander' });
    const result = await handle.result();

    expect(result.outcome).toBe('restored');
    expect(result.approval.by).toBe('incident-commander');
    expect(world.live('hermes')?.origin).not.toBe('original');
  });

  it('restores only the services named', async () => {
    const world = bed.reset();
    const result = await (await start({ services: ['hermes'] })).result();

    expect(result.services.map((s) => s.service)).toEqual(['hermes']);
    expect(world.live('argus')?.origin).toBe('original');
  });

  it('is refused while a restore of one of its services runs', async () => {
    const world = bed.reset();
    const gate = world.gate(RESTORE_BACKUP_ACTIVITY);
    const single = await bed.env.client.workflow.start(restoreDatabase, {
      taskQueue: bed.taskQueue,
      workflowId: uniqueId('restore-hermes'),
      args: [{ service: 'hermes' }],
    });
    await gate.entered;

    const failure = await failureOf(await start({}));
    expect(applicationFailure(failure)?.type).toBe('RestoreAlreadyRunning');
    expect(applicationFailure(failure)?.message).toContain('hermes');
    gate.release();
    expect((await single.result()).outcome).toBe('restored');
    // The full restore took argus's lock before it found hermes's taken, and gave it back.
    expect((await (await start({ services: ['argus'] })).result()).outcome).toBe('restored');
  });

  it('drops both side databases when cancelled during the restores', async () => {
    const world = bed.reset();
    const gates = ['argus', 'hermes'].map((service) =>
      world.gate(RESTORE_BACKUP_ACTIVITY, (input) => (input as { service: string }).service === service),
    );
    const handle = await start({});
    await Promise.all(gates.map((g) => g.entered));
    await handle.cancel();

    expect(wasCancelled(await failureOf(handle))).toBe(true);
    for (const service of ['argus', 'hermes']) {
      expect(world.databaseNames(service)).toEqual([`${service}_db`]);
      expect(world.live(service)?.origin).toBe('original');
    }
    expect(world.called('stopApps')).toEqual([]);
  });

  it('rejects a malformed timestamp naming the field', async () => {
    bed.reset();
    const failure = await failureOf(await start({ timestamp: '2026-11-23' }));
    expect(applicationFailure(failure)?.type).toBe('InvalidInput');
    expect(applicationFailure(failure)?.message).toContain('timestamp:');
  });
});
