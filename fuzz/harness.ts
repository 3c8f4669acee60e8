import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { onCleanup, runCleanups } from './cleanup';
import { chooseDumpOptions, optionSetKey } from './dump-options';
import { FuzzTarget } from './fuzz-target';
import { generateDatabase } from './generate/database';
import { createThrowawayUser, type OsUser } from './os-user';
import { runPgDump } from './pg-dump';
import { ensureBinaries, MAJORS, type Major } from './postgres-binaries';
import { Random } from './random';
import { saveRegression } from './regressions';
import { PostgresServer } from './server';
import { sameFailure, shrinkDump } from './shrink';
import { createFuzzRoles, dropDatabase, seedDatabase } from './source-database';
import { isFailure, type Verdict } from './verdict';

export interface FuzzOptions {
  seed: string;
  cases: number;
  projectRoot: string;
  majors?: readonly Major[];
  /** Shrink failing dumps and keep them under test/fixtures/dump-regressions (the CLI does; the test does not). */
  keepFailures: boolean;
  shrinkBudgetMs?: number;
  log: (line: string) => void;
}

export interface FuzzSummary {
  cases: number;
  pgDumpVersions: string[];
  optionSets: number;
  falseRefusals: number;
  mismatches: number;
  failures: { case: number; verdict: Verdict; fixture?: string }[];
}

/** The environment of a run: the throwaway user, a source server per major, the target server 18. */
export class FuzzServers {
  private constructor(
    readonly sources: Map<Major, PostgresServer>,
    readonly target: FuzzTarget,
  ) {}

  static async start(projectRoot: string, majors: readonly Major[], log: (line: string) => void): Promise<FuzzServers> {
    const binaries = new Map<Major, Awaited<ReturnType<typeof ensureBinaries>>>();
    for (const major of new Set<Major>([...majors, 18]))
      binaries.set(major, await ensureBinaries(projectRoot, major, log));
    const user: OsUser = await createThrowawayUser();
    const sources = new Map<Major, PostgresServer>();
    for (const major of majors) {
      const server = await PostgresServer.start(binaries.get(major)!, user);
      await createFuzzRoles(server);
      sources.set(major, server);
    }
    const targetServer = await PostgresServer.start(binaries.get(18)!, user);
    await createFuzzRoles(targetServer);
    log(`fuzz: servers ${majors.map((m) => `${m}:${sources.get(m)!.port}`).join(' ')}, target 18:${targetServer.port}`);
    return new FuzzServers(sources, await FuzzTarget.open(targetServer));
  }
}

export async function runFuzz(options: FuzzOptions): Promise<FuzzSummary> {
  const { log } = options;
  const majors = options.majors ?? MAJORS;
  const root = new Random(options.seed);
  const summary: FuzzSummary = {
    cases: 0,
    pgDumpVersions: [],
    optionSets: 0,
    falseRefusals: 0,
    mismatches: 0,
    failures: [],
  };
  const versions = new Set<string>();
  const optionSets = new Set<string>();
  const work = await mkdtemp(path.join(os.tmpdir(), 'opareta-fuzz-dumps-'));
  onCleanup(`dump folder ${work}`, () => rm(work, { recursive: true, force: true }));
  try {
    const servers = await FuzzServers.start(options.projectRoot, majors, log);
    for (let index = 0; index < options.cases; index++) {
      const random = root.fork(`case-${index}`);
      const major = majors[index % majors.length];
      const source = servers.sources.get(major)!;
      const database = generateDatabase(random, major, `c${index}`);
      const seeded = await seedDatabase(source, database);
      const dumpOptions = chooseDumpOptions(random, source.binaries.pgDumpMajor, database.tables);
      const file = path.join(work, `case-${index}.sql`);
      const label = `case ${index}: server ${major}, pg_dump ${source.binaries.pgDumpMajor} ${dumpOptions.join(' ') || '(default)'}`;
      try {
        await runPgDump(source, database.name, dumpOptions, file);
      } catch (err) {
        log(`fuzz: ${label}: pg_dump failed, case not counted: ${(err as Error).message.slice(0, 300)}`);
        continue;
      } finally {
        await dropDatabase(source, database.name);
      }
      const dump = await readFile(file);
      await rm(file);
      // A third sequential (the product's failing statement must be psql's), the rest in parallel.
      const jobs = random.pick([1, 2, 3]);
      const settings = { jobs, copyCutBytes: random.pick([undefined, 512, 4096]) };
      const verdict = await servers.target.check(dump, settings);
      summary.cases++;
      versions.add(String(source.binaries.pgDumpMajor));
      optionSets.add(optionSetKey(dumpOptions));
      log(
        `fuzz: ${label}: ${seeded.applied} units (${seeded.skipped.length} skipped), ${dump.length} bytes, jobs ${jobs}, cut ${settings.copyCutBytes ?? '8 MB'}: ${verdict.kind}`,
      );
      if (verdict.kind === 'both-failed') log(`fuzz:   both failed on one statement: ${verdict.detail[0]}`);
      if (!isFailure(verdict)) continue;
      if (verdict.kind === 'false-refusal') summary.falseRefusals++;
      else summary.mismatches++;
      for (const line of verdict.detail) log(`fuzz:   ${line}`);
      let fixture: string | undefined;
      if (options.keepFailures) {
        const shrunk = await shrinkDump(
          dump,
          async (candidate) => sameFailure(verdict, await servers.target.check(candidate, settings)),
          options.shrinkBudgetMs ?? 120_000,
        );
        fixture = await saveRegression(shrunk, {
          seed: options.seed,
          case: index,
          serverMajor: major,
          pgDumpMajor: source.binaries.pgDumpMajor,
          options: dumpOptions,
          verdict,
          originalBytes: dump.length,
        });
        log(`fuzz:   kept as ${fixture} (${shrunk.length} of ${dump.length} bytes)`);
      }
      summary.failures.push({ case: index, verdict, fixture });
    }
  } finally {
    await runCleanups(log);
  }
  summary.pgDumpVersions = [...versions].sort((a, b) => Number(a) - Number(b));
  summary.optionSets = optionSets.size;
  return summary;
}

export function summaryLine(s: FuzzSummary): string {
  return `dump fuzz cases=${s.cases} pg_dump_versions=${s.pgDumpVersions.join(',')} option_sets=${s.optionSets} false_refusals=${s.falseRefusals} mismatches=${s.mismatches}`;
}
