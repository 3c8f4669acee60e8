import { createHash } from 'node:crypto';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { format } from 'prettier';
import type { Verdict } from './verdict';

/** Where failing dumps are kept (shrunk), each `<name>.sql` with `<name>.json` saying where it came from. */
export const REGRESSIONS_DIRECTORY = path.join(__dirname, '..', 'test', 'fixtures', 'dump-regressions');

export interface RegressionRecord {
  seed: string;
  case: number;
  serverMajor: number;
  pgDumpMajor: number;
  options: string[];
  verdict: Verdict;
  /** Bytes before shrinking. */
  originalBytes: number;
  /**
   * A failure outside the dump reader, reported and not fixed here: the regression test expects it to keep
   * failing the same way (and says so once it no longer does, when this mark must go).
   */
  known?: string;
}

export async function saveRegression(dump: Buffer, record: RegressionRecord): Promise<string> {
  await mkdir(REGRESSIONS_DIRECTORY, { recursive: true });
  const hash = createHash('sha256').update(dump).digest('hex').slice(0, 10);
  const name = `${record.verdict.kind}-pg${record.serverMajor}-${hash}`;
  await writeFile(path.join(REGRESSIONS_DIRECTORY, `${name}.sql`), dump);
  // Formatted as `prettier --check .` (npm run lint) wants it.
  const json = await format(JSON.stringify(record), { parser: 'json' });
  await writeFile(path.join(REGRESSIONS_DIRECTORY, `${name}.json`), json);
  return path.join('test', 'fixtures', 'dump-regressions', `${name}.sql`);
}

export async function loadRegressions(): Promise<{ name: string; dump: Buffer; record: RegressionRecord }[]> {
  const files = await readdir(REGRESSIONS_DIRECTORY).catch(() => [] as string[]);
  const names = files.filter((f) => f.endsWith('.sql')).map((f) => f.slice(0, -4));
  return Promise.all(
    names.sort().map(async (name) => ({
      name,
      dump: await readFile(path.join(REGRESSIONS_DIRECTORY, `${name}.sql`)),
      record: JSON.parse(await readFile(path.join(REGRESSIONS_DIRECTORY, `${name}.json`), 'utf8')) as RegressionRecord,
    })),
  );
}
