import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { runFuzz, summaryLine } from './harness';
import { MAJORS, type Major } from './postgres-binaries';

/**
 * `npm run fuzz:dumps -- [--seed S] [--cases N] [--majors 12,18] [--shrink-seconds N] [--no-keep]`: random databases on PostgreSQL 12
 * to 18, dumped by their pg_dump under random options, restored by psql and by the product into a server 18,
 * compared. Ends with the summary line; exits 1 when a false refusal or a mismatch was found.
 */
interface Arguments {
  seed: string;
  cases: number;
  majors: Major[];
  keep: boolean;
  shrinkSeconds: number;
}

function parseArguments(argv: string[]): Arguments {
  const result: Arguments = {
    seed: randomBytes(4).toString('hex'),
    cases: 20,
    majors: [...MAJORS],
    keep: true,
    shrinkSeconds: 120,
  };
  for (let i = 0; i < argv.length; i++) {
    const value = () => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${argv[i - 1]} needs a value`);
      return v;
    };
    switch (argv[i]) {
      case '--seed':
        result.seed = value();
        break;
      case '--cases':
        result.cases = Number(value());
        if (!Number.isInteger(result.cases) || result.cases < 1) throw new Error('--cases must be a whole number >= 1');
        break;
      case '--majors':
        result.majors = value()
          .split(',')
          .map((m) => {
            const major = Number(m) as Major;
            if (!MAJORS.includes(major)) throw new Error(`--majors: ${m} is not one of ${MAJORS.join(', ')}`);
            return major;
          });
        break;
      case '--shrink-seconds':
        result.shrinkSeconds = Number(value());
        break;
      case '--no-keep':
        result.keep = false;
        break;
      default:
        throw new Error(
          `unknown argument ${argv[i]} (--seed S, --cases N, --majors 12,18, --shrink-seconds N, --no-keep)`,
        );
    }
  }
  return result;
}

async function main(): Promise<void> {
  const args = parseArguments(process.argv.slice(2));
  const started = Date.now();
  console.log(`fuzz: seed ${args.seed} (replay with --seed ${args.seed}), ${args.cases} cases`);
  const summary = await runFuzz({
    seed: args.seed,
    cases: args.cases,
    majors: args.majors,
    projectRoot: path.join(__dirname, '..'),
    keepFailures: args.keep,
    shrinkBudgetMs: args.shrinkSeconds * 1000,
    log: (line) => console.log(line),
  });
  console.log(`fuzz: seed ${args.seed}, ${((Date.now() - started) / 1000).toFixed(0)} s`);
  console.log(summaryLine(summary));
  process.exitCode = summary.falseRefusals + summary.mismatches === 0 ? 0 : 1;
}

main().catch((err: unknown) => {
  console.error(`fuzz: ${(err as Error).stack ?? String(err)}`);
  process.exitCode = 2;
});
