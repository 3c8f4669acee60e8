import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { MockActivityEnvironment } from '@temporalio/testing';
import { DefaultLogger } from '@temporalio/worker';
import { createActivities } from '../activities';
import type { RestoreResult } from '../shared/activity-contract';
import { loadTopology } from '../shared/node/topology';
import { peakRssMb } from './peak-rss';
import type { ChildResult, HeartbeatRecord } from './restore-bench-kit';

/**
 * One restore through the real activity code path, alone in its process so its own peak RSS (VmHWM, which the
 * parent cannot inflate) can be measured.
 * argv: config file, service, backup file, target database, result file (JSON written there), then optionally
 *   --jobs N           the activity's `jobs`
 *   --resume-from F    a heartbeats file (below) of an earlier, lost attempt: its details become this attempt's
 *                      Info.heartbeatDetails, as Temporal hands them to a retry
 *   --heartbeats F     each heartbeat is written to F (a HeartbeatRecord), replacing the last, for the parent to
 *                      watch and to resume from
 */
async function main(): Promise<void> {
  const { positionals, values } = parseArgs({
    allowPositionals: true,
    options: { jobs: { type: 'string' }, 'resume-from': { type: 'string' }, heartbeats: { type: 'string' } },
  });
  const [configFile, service, file, targetDatabase, resultFile] = positionals;
  const jobs = values.jobs === undefined ? undefined : Number(values.jobs);
  const resumed = values['resume-from']
    ? (JSON.parse(readFileSync(values['resume-from'], 'utf8')) as HeartbeatRecord)
    : undefined;
  const activities = createActivities({ topology: loadTopology(configFile) });
  const env = new MockActivityEnvironment(resumed && { heartbeatDetails: resumed.details }, {
    logger: new DefaultLogger('WARN'),
  });
  const startedAt = Date.now();
  const heartbeats = values.heartbeats;
  if (heartbeats) {
    // Written aside and renamed: the parent SIGKILLs this process at any moment and must still read a whole record.
    env.on('heartbeat', (details: unknown) => {
      const record: HeartbeatRecord = { startedAt, at: Date.now(), details };
      writeFileSync(`${heartbeats}.partial`, JSON.stringify(record));
      renameSync(`${heartbeats}.partial`, heartbeats);
    });
  }
  const started = process.hrtime.bigint();
  const result: RestoreResult = await env.run(() => activities.restoreBackup({ service, file, targetDatabase, jobs }));
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const { tables, units, resumedFrom, unitsSkipped } = result;
  const written: ChildResult = {
    seconds,
    maxRssMb: peakRssMb(),
    tables,
    jobs: result.jobs,
    units,
    resumedFrom,
    unitsSkipped,
  };
  writeFileSync(resultFile, JSON.stringify(written));
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
