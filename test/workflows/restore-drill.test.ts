import { describe, expect, it } from 'vitest';
import { RESTORE_BACKUP_ACTIVITY } from '../../shared/activity-contract';
import type { RestoreDrillInput } from '../../shared/workflow-types';
import { OparetaKind, OparetaOutcome, OparetaService } from '../../workflows/definitions';
import { ping, restoreDrill } from '../../workflows';
import type { FakeWorld } from './support/fake-world';
import { applicationFailure, failureOf, uniqueId, wasCancelled } from './support/outcomes';
import { useWorkflowTestbed } from './support/workflow-env';

/** What a drill must never call: it touches neither live databases nor apps. */
const LIVE_CHANGES = ['stopApps', 'startApps', 'renameDatabase', 'terminateBackends', 'snapshotDatabase'];

// One server, bundle and worker for both workflow types of this file.
const bed = useWorkflowTestbed('restore-drill');

describe('restoreDrill decisions', () => {
  function start(input: RestoreDrillInput) {
    return bed.env.client.workflow.start(restoreDrill, {
      taskQueue: bed.taskQueue,
      workflowId: uniqueId('drill'),
      args: [input],
    });
  }

  function expectNothingLeftOrTouched(world: FakeWorld): void {
    for (const service of ['argus', 'hermes']) {
      expect(world.databaseNames(service)).toEqual([`${service}_db`]);
      expect(world.live(service)?.origin).toBe('original');
      expect(world.service(service).appsRunning).toBe(true);
    }
    expect(world.calls.filter((c) => LIVE_CHANGES.includes(c.name))).toEqual([]);
  }

  it('passes from {}: restores each newest backup into a scratch database, verifies and drops it', async () => {
    const world = bed.reset();
    const handle = await start({});
    const result = await handle.result();

    expect(result.passed).toBe(true);
    expect(result.outcome).toBe('passed');
    expect(result.services.map((s) => [s.service, s.passed, s.backupFile, s.rtoMet, s.rpoMet, s.cleanedUp])).toEqual([
      ['argus', true, 'argus_20261124_020000.sql.gz', true, true, true],
      ['hermes', true, 'hermes_20261124_020000.sql.gz', true, true, true],
    ]);
    expect(result.services[0].scratchDatabase).toMatch(/^argus_db_drill_\d{14}_[0-9a-f]{6}$/);
    expect(world.called('dropDatabase')).toHaveLength(2);
    // One read of each backup: the restore's own pass checks it, no verifyBackup before it.
    expect(world.called('verifyBackup')).toEqual([]);
    expect(world.called(RESTORE_BACKUP_ACTIVITY)).toHaveLength(2);
    expect(result.services[0].forecast?.dumpBytes).toBe(10_000);
    expectNothingLeftOrTouched(world);

    // Each service's part is its own child workflow, searchable by service and outcome.
    const child = await bed.env.client.workflow.getHandle(`${handle.workflowId}-hermes`).describe();
    expect(child.typedSearchAttributes.get(OparetaKind)).toBe('drill-service');
    expect(child.typedSearchAttributes.get(OparetaService)).toBe('hermes');
    expect(child.typedSearchAttributes.get(OparetaOutcome)).toBe('passed');
  });

  it('names the broken newest backup, falls back to the previous one, and fails the drill', async () => {
    const world = bed.reset();
    const [newest, previous] = world.service('hermes').backups;
    newest.broken = 'BackupTruncated';
    world.brokenRestoreLeavesTarget = true;
    const handle = await start({});
    const result = await handle.result();

    const hermes = result.services.find((s) => s.service === 'hermes');
    // The broken backup proved so in its restore; the previous one went into the same scratch database.
    expect(world.called('verifyBackup')).toEqual([]);
    expect(
      world.called(RESTORE_BACKUP_ACTIVITY).filter((c) => (c as { service: string }).service === 'hermes'),
    ).toEqual([
      { service: 'hermes', file: newest.file, targetDatabase: hermes?.scratchDatabase },
      { service: 'hermes', file: previous.file, targetDatabase: hermes?.scratchDatabase },
    ]);
    expect(hermes?.brokenBackups).toEqual([
      { file: newest.file, errorType: 'BackupTruncated', message: `${newest.file} is broken` },
    ]);
    expect(hermes?.verification?.passed).toBe(true);
    expect(result.passed).toBe(false);
    expect(hermes?.passed).toBe(false);
    expect(hermes?.backupFile).toBe(previous.file);
    expect(hermes?.fallbackFrom).toBe(newest.file);
    expect(hermes?.reason).toContain(`backup ${newest.file} is broken (BackupTruncated`);
    expect(result.services.find((s) => s.service === 'argus')?.passed).toBe(true);
    expect(world.called('notify')).toEqual([expect.objectContaining({ kind: 'drill-failed', services: ['hermes'] })]);
    const child = await bed.env.client.workflow.getHandle(`${handle.workflowId}-hermes`).describe();
    expect(child.typedSearchAttributes.get(OparetaOutcome)).toBe('failed');
    expectNothingLeftOrTouched(world);
  });

  it('names every broken file when no generation is usable, and leaves no scratch database', async () => {
    const world = bed.reset();
    const files = world.service('argus').backups.map((b) => b.file);
    for (const backup of world.service('argus').backups) backup.broken = 'BackupIncomplete';
    world.brokenRestoreLeavesTarget = true;
    const result = await (await start({ services: ['argus'] })).result();

    const [argus] = result.services;
    expect(argus.passed).toBe(false);
    expect(argus.brokenBackups.map((b) => b.file)).toEqual(files);
    expect(argus.reason).toContain('no usable backup of argus');
    expect(argus.backupFile).toBeUndefined();
    expect(world.called(RESTORE_BACKUP_ACTIVITY).map((c) => (c as { file: string }).file)).toEqual(files);
    expect(argus.cleanedUp).toBe(true);
    expectNothingLeftOrTouched(world);
  });

  it('does not fall back from a named backup file that proves broken', async () => {
    const world = bed.reset();
    const [newest] = world.service('argus').backups;
    newest.broken = 'BackupCorrupt';
    const result = await (await start({ services: ['argus'], backup: newest.file })).result();

    const [argus] = result.services;
    expect(argus.passed).toBe(false);
    expect(argus.brokenBackups).toEqual([
      { file: newest.file, errorType: 'BackupCorrupt', message: `${newest.file} is broken` },
    ]);
    expect(argus.reason).toContain(`no usable backup of argus: broken ${newest.file} (BackupCorrupt`);
    expect(world.called(RESTORE_BACKUP_ACTIVITY).map((c) => (c as { file: string }).file)).toEqual([newest.file]);
    expectNothingLeftOrTouched(world);
  });

  it('takes the manifest from the restored tables when the worker returns none (a worker from before)', async () => {
    const world = bed.reset();
    world.restoreWithoutManifest = true;
    const result = await (await start({ services: ['hermes'] })).result();

    expect(result.services[0].passed).toBe(true);
    expect(result.services[0].verification?.passed).toBe(true);
    // The SQL size is what only a manifest knows.
    expect(result.services[0].forecast?.dumpBytes).toBe(0);
  });

  it('drops the scratch database when verification fails', async () => {
    const world = bed.reset();
    world.failVerification.add('argus');
    const result = await (await start({})).result();

    const argus = result.services.find((s) => s.service === 'argus');
    expect(argus?.passed).toBe(false);
    expect(argus?.reason).toContain('check "service checks" failed');
    expect(argus?.cleanedUp).toBe(true);
    expectNothingLeftOrTouched(world);
  });

  it('fails the drill when the restore is slower than the RTO', async () => {
    const world = bed.reset();
    world.restoreSeconds = 31 * 60;
    const result = await (await start({ services: ['hermes'] })).result();

    expect(result.services[0].rtoMet).toBe(false);
    expect(result.services[0].reason).toContain('over the RTO of 30 min');
  });

  it("forecasts the live database's restore time at today's rate, and warns above 80% of the RTO", async () => {
    const world = bed.reset();
    world.restoreSeconds = 600;
    const restoredBytes = world.service('hermes').backups[0].tables.reduce((sum, t) => sum + t.rows, 0) * 1024;
    world.databaseBytes.set('hermes_db', restoredBytes);
    const today = (await (await start({ services: ['hermes'] })).result()).services[0];
    expect(today.forecast).toEqual({
      dumpBytes: expect.any(Number),
      restoredBytes,
      liveBytes: restoredBytes,
      restoreSeconds: 600,
      projectedSeconds: 600,
      rtoShare: 0.333,
    });

    // Production grew to 2.5 times what the backup restores: 25 minutes, above 80% of the 30-minute RTO.
    world.databaseBytes.set('hermes_db', restoredBytes * 2.5);
    const grown = (await (await start({ services: ['hermes'] })).result()).services[0];
    expect(grown.forecast?.projectedSeconds).toBe(1500);
    expect(grown.forecast?.warning).toMatch(
      /^projected 25 min for \d+ MB at today's rate: above 80% of RTO of 30 min$/,
    );
    // A forecast warns; the drill itself restored within the RTO and passes.
    expect(grown.passed).toBe(true);
    expect(world.called('databaseSizes')).toContainEqual({
      service: 'hermes',
      databases: ['hermes_db', grown.scratchDatabase],
    });
  });

  it('cleans up when the restore fails', async () => {
    const world = bed.reset();
    world.failRestore.add('hermes');
    const result = await (await start({})).result();

    const hermes = result.services.find((s) => s.service === 'hermes');
    expect(hermes?.passed).toBe(false);
    expect(hermes?.reason).toContain('psql exited with 3');
    expect(world.called('dropDatabase')).toContainEqual({ service: 'hermes', database: hermes?.scratchDatabase });
    expectNothingLeftOrTouched(world);
  });

  it('cleans up when cancelled during the restore', async () => {
    const world = bed.reset();
    // Both restores held, so the cancel finds each service's drill mid-restore.
    const gates = ['argus', 'hermes'].map((service) =>
      world.gate(RESTORE_BACKUP_ACTIVITY, (input) => (input as { service: string }).service === service),
    );
    const handle = await start({});
    await Promise.all(gates.map((g) => g.entered));
    await handle.cancel();

    expect(wasCancelled(await failureOf(handle))).toBe(true);
    expect(gates.map((g) => g.wasCancelled)).toEqual([true, true]);
    expect(world.called('dropDatabase')).toHaveLength(2);
    expectNothingLeftOrTouched(world);
  });

  it('cleans up when its own deadline passes during the restore', async () => {
    const world = bed.reset();
    const gate = world.gate(RESTORE_BACKUP_ACTIVITY);
    // 0.05 min = 3 s of the test server's clock.
    const result = await (await start({ services: ['argus'], timeoutMinutes: 0.05 })).result();

    expect(gate.wasCancelled).toBe(true);
    expect(result.passed).toBe(false);
    expect(result.services[0].reason).toBe('timed out after 0.05 min');
    expectNothingLeftOrTouched(world);
  });

  it('drills one named backup file of one service', async () => {
    const world = bed.reset();
    const file = world.service('argus').backups[2].file;
    const result = await (await start({ services: ['argus'], backup: file })).result();

    expect(result.services[0].backupFile).toBe(file);
    // That generation is 51 h old: the drill restores it and reports the missed RPO.
    expect(result.services[0].rpoMet).toBe(false);
    expect(result.services[0].reason).toContain('over the RPO of 24 h');
  });

  it('rejects a backup file name without exactly one service', async () => {
    bed.reset();
    const failure = await failureOf(await start({ backup: 'argus_20261124_020000.sql.gz' }));
    expect(applicationFailure(failure)?.type).toBe('InvalidInput');
    expect(applicationFailure(failure)?.message).toContain('backup:');
  });
});

describe(ping.name, () => {
  it('describes every service and checks its database connection', async () => {
    bed.reset();
    const result = await bed.env.client.workflow.execute(ping, {
      taskQueue: bed.taskQueue,
      workflowId: uniqueId(ping.name),
      args: [{}],
    });
    expect(result.map((s) => [s.service, s.database, s.serverVersion])).toEqual([
      ['argus', 'argus_db', '15.14'],
      ['hermes', 'hermes_db', '15.14'],
    ]);
  });
});
