import { writeFileSync } from 'node:fs';
import { MockActivityEnvironment } from '@temporalio/testing';
import { DefaultLogger } from '@temporalio/worker';
import { createActivities } from '../activities';
import type { RestoreResult } from '../shared/activity-contract';
import { loadTopology } from '../shared/node/topology';
import { peakRssMb } from './peak-rss';

/**
 * One restore through the real activity code path, alone in its process so its own peak RSS (VmHWM, which the
 * parent cannot inflate) can be measured.
 * argv: config file, service, backup file, target database, result file (JSON written there).
 */
async function main(): Promise<void> {
  const [configFile, service, file, targetDatabase, resultFile] = process.argv.slice(2);
  const activities = createActivities({ topology: loadTopology(configFile) });
  const env = new MockActivityEnvironment(undefined, { logger: new DefaultLogger('WARN') });
  const started = process.hrtime.bigint();
  const result: RestoreResult = await env.run(() => activities.restoreBackup({ service, file, targetDatabase }));
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const maxRssMb = peakRssMb();
  writeFileSync(resultFile, JSON.stringify({ seconds, maxRssMb, tables: result.tables }));
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
