import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCleanups } from '../../../fuzz/cleanup';
import { FuzzServers, runFuzz, summaryLine, type FuzzSummary } from '../../../fuzz/harness';
import { loadRegressions } from '../../../fuzz/regressions';
import { isFailure } from '../../../fuzz/verdict';

/**
 * Issue 20 point 2, the small tier of `npm run fuzz:dumps` (fuzz/README.md): random databases on PostgreSQL 12 to
 * 18, dumped by their own pg_dump under random options, restored by psql and by the product (verifyBackup,
 * restoreBackup via the host's psql 18, verifyRestoredDatabase) into a server 18; both restores must agree. A
 * fixed seed (the same cases every run) and a new one each run (printed: replay it with `npm run fuzz:dumps --
 * --seed S`), then every kept regression dump. The binaries are fetched into .tools/postgres on first use.
 */
const PROJECT_ROOT = path.join(__dirname, '..', '..', '..');
const FIXED_SEED = 'npm-test-1';
const CASES_PER_SEED = 21;
const FUZZ_TIMEOUT_MS = 600_000;

afterAll(() => runCleanups());

function failuresOf(summary: FuzzSummary): string[] {
  return summary.failures.map((f) => `case ${f.case}: ${f.verdict.kind}: ${f.verdict.detail.join(' | ')}`);
}

async function fuzz(seed: string): Promise<FuzzSummary> {
  const log: string[] = [];
  const summary = await runFuzz({
    seed,
    cases: CASES_PER_SEED,
    projectRoot: PROJECT_ROOT,
    keepFailures: false,
    log: (line) => log.push(line),
  });
  console.log(`${summaryLine(summary)} (seed ${seed}; replay: npm run fuzz:dumps -- --seed ${seed})`);
  return summary;
}

describe('dump fuzz: psql and the product restore the same real pg_dump output', () => {
  it(`fixed seed ${FIXED_SEED}`, { timeout: FUZZ_TIMEOUT_MS }, async () => {
    const summary = await fuzz(FIXED_SEED);
    expect(summary.cases).toBeGreaterThanOrEqual(CASES_PER_SEED - 2);
    expect(summary.pgDumpVersions).toEqual(['13', '14', '15', '16', '17', '18']);
    expect(failuresOf(summary)).toEqual([]);
  });

  it('a new random seed (printed)', { timeout: FUZZ_TIMEOUT_MS }, async () => {
    const seed = randomBytes(4).toString('hex');
    console.log(`dump fuzz: random seed ${seed}`);
    const summary = await fuzz(seed);
    expect(failuresOf(summary), `seed ${seed}`).toEqual([]);
  });

  it(
    'every kept regression dump (test/fixtures/dump-regressions) restores alike, known failures aside',
    { timeout: FUZZ_TIMEOUT_MS },
    async () => {
      const regressions = await loadRegressions();
      if (regressions.length === 0) return;
      const servers = await FuzzServers.start(PROJECT_ROOT, [], () => undefined);
      try {
        const verdicts: string[] = [];
        for (const { name, dump, record } of regressions) {
          // Sequential, and parallel with COPY blocks cut into many units.
          for (const settings of [{ jobs: 1 }, { jobs: 2, copyCutBytes: 512 }]) {
            const verdict = await servers.target.check(dump, settings);
            const where = `${name} (jobs ${settings.jobs})`;
            if (record.known && verdict.kind !== record.verdict.kind) {
              verdicts.push(`${where}: known failure "${record.known}" no longer happens: remove its mark`);
            } else if (!record.known && isFailure(verdict)) {
              verdicts.push(`${where}: ${verdict.kind}: ${verdict.detail.join(' | ')}`);
            }
          }
        }
        expect(verdicts).toEqual([]);
      } finally {
        await runCleanups();
      }
    },
  );
});
