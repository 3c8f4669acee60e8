import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { settings } from '../shared/node/settings';
import {
  activityRestore,
  DUMP_FILE,
  dropDatabase,
  ensureSqlDump,
  median,
  rawRestore,
  ROWS,
  writeBenchTopology,
} from './restore-bench-kit';
import { ensureImage, removeContainers, startPostgres } from '../test/integration/activities/helpers';

/**
 * The restore activity against the raw `gunzip -c FILE | docker exec -i C psql` pipeline, alternating, on a dump of
 * at least 1 GB of SQL generated server-side. Last line: `restore overhead ratio=<x.xx> peak_rss_mb=<n>`.
 */
/** Rounds of each; the order flips every round so drift in the machine's load hits both sides alike. */
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const MIN_SQL_BYTES = 1024 ** 3;
const benchDir = path.join(settings.dataDir, 'bench');

async function main(): Promise<void> {
  await ensureImage();
  await mkdir(benchDir, { recursive: true });
  const file = path.join(benchDir, DUMP_FILE);
  const pg = await startPostgres('bench', 'bench', 'bench_db');
  try {
    const { manifest } = await ensureSqlDump(pg, file, { rows: ROWS, minBytes: MIN_SQL_BYTES });
    const { configFile } = await writeBenchTopology(pg, benchDir);

    const raw: number[] = [];
    const activity: number[] = [];
    let peakRssMb = 0;
    const runActivity = async () => {
      const resultFile = path.join(benchDir, 'child-result.json');
      const request = { configFile, file: DUMP_FILE, database: 'bench_activity', resultFile };
      const result = await activityRestore(request, manifest.tables);
      await dropDatabase(pg, 'bench_activity');
      activity.push(result.seconds);
      peakRssMb = Math.max(peakRssMb, result.maxRssMb);
      return `activity ${result.seconds.toFixed(2)} s (max RSS ${result.maxRssMb} MB)`;
    };
    const runRaw = async () => {
      const seconds = await rawRestore(pg, file, 'bench_raw');
      await dropDatabase(pg, 'bench_raw');
      raw.push(seconds);
      return `raw ${seconds.toFixed(2)} s`;
    };
    for (let round = 1; round <= ROUNDS; round++) {
      const order = round % 2 === 1 ? [runActivity, runRaw] : [runRaw, runActivity];
      const lines: string[] = [];
      for (const step of order) lines.push(await step());
      console.log(`round ${round}: ${lines.join(', ')}`);
    }
    const ratio = median(activity) / median(raw);
    console.log(`median wall: activity ${median(activity).toFixed(2)} s, raw ${median(raw).toFixed(2)} s`);
    console.log(`restore overhead ratio=${ratio.toFixed(2)} peak_rss_mb=${peakRssMb}`);
  } finally {
    await removeContainers([pg.name]);
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
