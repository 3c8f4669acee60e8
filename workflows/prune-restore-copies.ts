import { upsertSearchAttributes } from '@temporalio/workflow';
import {
  pruneRestoreCopiesInputSchema,
  type PruneRestoreCopiesInput,
  type PruneRestoreCopiesResult,
} from '../shared/workflow-types';
import { quick } from './activity-proxies';
import { OparetaKind } from './definitions';
import { loadServiceHosts } from './host-routing';
import { decideRetention } from './retention';
import { parseInput } from './validate';

/**
 * Drops the `<db>_pre_restore_*` and `<db>_failed_restore_*` copies that restores keep, by the topology's
 * retention rule (default: the newest one and any younger than 7 days stay), never one that is not older
 * than the service's last passed drill. `{"dryRun": true}` lists what it would drop. Start it by hand or
 * schedule it; it lists what it dropped.
 */
export async function pruneRestoreCopies(input: PruneRestoreCopiesInput = {}): Promise<PruneRestoreCopiesResult> {
  const request = parseInput('pruneRestoreCopies', pruneRestoreCopiesInputSchema, input);
  upsertSearchAttributes([{ key: OparetaKind, value: 'prune' }]);
  await loadServiceHosts();
  const services = request.services ?? (await quick.listServices());
  const result: PruneRestoreCopiesResult = { dryRun: request.dryRun, services: [], droppedBytes: 0 };
  for (const service of services) {
    const description = await quick.describeService({ service });
    const copies = await quick.listRestoreCopies({ service });
    const lastPassedDrill = await quick.lastPassedDrill({ service });
    const decisions = decideRetention(copies, description.retention, Date.now(), lastPassedDrill);
    const report: PruneRestoreCopiesResult['services'][number] = { service, lastPassedDrill, dropped: [], kept: [] };
    for (const { copy, drop, reason } of decisions) {
      const entry = { database: copy.database, sizeBytes: copy.sizeBytes, reason };
      if (!drop) {
        report.kept.push(entry);
        continue;
      }
      if (!request.dryRun) await quick.dropDatabase({ service, database: copy.database });
      report.dropped.push(entry);
      result.droppedBytes += copy.sizeBytes;
    }
    result.services.push(report);
  }
  return result;
}
