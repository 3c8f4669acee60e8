import { describe, expect, it } from 'vitest';
import type { ListBackupCatalogsInput } from '../../shared/workflow-types';
import { listBackupCatalogs } from '../../workflows';
import { applicationFailure, failureOf, uniqueId } from './support/outcomes';
import { useWorkflowTestbed } from './support/workflow-env';

describe('listBackupCatalogs decisions', () => {
  const bed = useWorkflowTestbed('list-backups');

  function start(input: ListBackupCatalogsInput) {
    return bed.env.client.workflow.start(listBackupCatalogs, {
      taskQueue: bed.taskQueue,
      workflowId: uniqueId('backups-list'),
      args: [input],
    });
  }

  it('lists every service the worker knows, newest backup first, with its directory and RPO', async () => {
    const world = bed.reset();
    const catalogs = await (await start({})).result();
    expect(catalogs.map((c) => c.service)).toEqual(['argus', 'hermes']);
    for (const catalog of catalogs) {
      const files = world.service(catalog.service).backups.map((b) => b.file);
      expect(catalog.backups.map((b) => b.file)).toEqual(files);
      expect(catalog.directory).toBe(`/backups/${catalog.service}`);
      expect(catalog.rpoHours).toBe(world.service(catalog.service).description.rpoHours);
    }
    // A read: it asks for the catalog and nothing that changes anything.
    expect([...new Set(world.calls.map((c) => c.name))].sort()).toEqual([
      'describeService',
      'listBackups',
      'listServices',
      'serviceHosts',
    ]);
  });

  it('lists one service when asked', async () => {
    bed.reset();
    const catalogs = await (await start({ service: 'hermes' })).result();
    expect(catalogs.map((c) => c.service)).toEqual(['hermes']);
  });

  it('refuses a name that is not a service name, and an unknown service, for good', async () => {
    bed.reset();
    const malformed = await failureOf(await start({ service: '../etc' }));
    expect(applicationFailure(malformed)?.type).toBe('InvalidInput');
    expect(applicationFailure(malformed)?.message).toContain('service:');
    const unknown = await failureOf(await start({ service: 'nosuch' }));
    expect(applicationFailure(unknown)?.type).toBe('UnknownService');
  });
});
