import { describe, expect, it } from 'vitest';
import { RESTORE_BACKUP_ACTIVITY, type RestoreCopy } from '../../shared/activity-contract';
import { pruneRestoreCopies, restoreDatabase } from '../../workflows';
import { applicationFailure, failureOf, uniqueId } from './support/outcomes';
import { useWorkflowTestbed } from './support/workflow-env';

const oldCopy = (service: string, stamp: string): RestoreCopy => ({
  database: `${service}_db_pre_restore_${stamp}_abcdef`,
  kind: 'pre-restore',
  madeAt: `${stamp.slice(0, 4)}-${stamp.slice(4, 6)}-${stamp.slice(6, 8)}T02:00:00Z`,
  sizeBytes: 5_000,
});

describe('restore copies and disk room', () => {
  const bed = useWorkflowTestbed('prune-copies');

  it('drops what the retention rule allows, lists it, and keeps the newest', async () => {
    const world = bed.reset();
    world.restoreCopies.set('argus', [oldCopy('argus', '20250101020000'), oldCopy('argus', '20250201020000')]);
    world.lastPassedDrills.set('argus', '2025-06-01T02:00:00Z');
    const result = await bed.env.client.workflow.execute(pruneRestoreCopies, {
      taskQueue: bed.taskQueue,
      workflowId: uniqueId('prune'),
      args: [{ services: ['argus'] }],
    });
    expect(result.services[0].dropped.map((d) => d.database)).toEqual(['argus_db_pre_restore_20250101020000_abcdef']);
    expect(result.services[0].kept.map((d) => d.database)).toEqual(['argus_db_pre_restore_20250201020000_abcdef']);
    expect(result.droppedBytes).toBe(5_000);
    expect(world.called('dropDatabase')).toEqual([
      { service: 'argus', database: 'argus_db_pre_restore_20250101020000_abcdef' },
    ]);
  });

  it('a dry run drops nothing', async () => {
    const world = bed.reset();
    world.restoreCopies.set('argus', [oldCopy('argus', '20250101020000'), oldCopy('argus', '20250201020000')]);
    world.lastPassedDrills.set('argus', '2025-06-01T02:00:00Z');
    const result = await bed.env.client.workflow.execute(pruneRestoreCopies, {
      taskQueue: bed.taskQueue,
      workflowId: uniqueId('prune'),
      args: [{ services: ['argus'], dryRun: true }],
    });
    expect(result.services[0].dropped).toHaveLength(1);
    expect(world.called('dropDatabase')).toEqual([]);
  });

  it('refuses a restore the volume has no room for, before anything is created', async () => {
    const world = bed.reset();
    world.freeDiskBytes = 1000;
    const handle = await bed.env.client.workflow.start(restoreDatabase, {
      taskQueue: bed.taskQueue,
      workflowId: uniqueId('restore-argus'),
      args: [{ service: 'argus' }],
    });
    expect(applicationFailure(await failureOf(handle))?.type).toBe('InsufficientDiskSpace');
    expect(world.called(RESTORE_BACKUP_ACTIVITY)).toEqual([]);
    expect(world.called('stopApps')).toEqual([]);
    expect(world.databaseNames('argus')).toEqual(['argus_db']);
  });
});
