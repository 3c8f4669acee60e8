import { createReadStream, existsSync } from 'node:fs';
import { createGunzip } from 'node:zlib';
import { DumpReader } from '../activities/dump-reader';

/**
 * The dump reader's own throughput, without gunzip or psql: a COPY-heavy dump (pg_dump's default, the bench
 * dump of `npm run bench` when present) and an INSERT-heavy one (`--inserts`, every byte through the lexer).
 * Usage: npx tsx bench/dump-reader.bench.ts [file.sql.gz]
 */
const CHUNK = 256 * 1024;

async function loadSql(file: string, limitBytes: number): Promise<Buffer[]> {
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of createReadStream(file).pipe(createGunzip({ chunkSize: CHUNK }))) {
    chunks.push(chunk as Buffer);
    total += (chunk as Buffer).length;
    if (total >= limitBytes) break;
  }
  return chunks;
}

function insertHeavySql(rows: number): Buffer[] {
  const lines: string[] = [
    'SET standard_conforming_strings = on;',
    'CREATE TABLE public.t (id int, note text, n numeric);',
  ];
  for (let i = 0; i < rows; i++) {
    lines.push(`INSERT INTO public.t VALUES (${i}, 'note ''${i}'' with text, and $ signs', ${i}.25);`);
  }
  const all = Buffer.from(lines.join('\n') + '\n');
  const chunks: Buffer[] = [];
  for (let at = 0; at < all.length; at += CHUNK) chunks.push(all.subarray(at, at + CHUNK));
  return chunks;
}

/**
 * Statements the policy judges whole (issue 20): wide CREATE TABLEs, their COPY headers with every column, column
 * GRANTs, ALTER ... OWNER TO. Each table is `columns` wide, with a few rows.
 */
function schemaHeavySql(tables: number, columns: number): Buffer[] {
  const lines: string[] = ['SET standard_conforming_strings = on;'];
  const names = Array.from({ length: columns }, (_, c) => `"column number ${c}"`);
  for (let t = 0; t < tables; t++) {
    const table = `public."wide table ${t}"`;
    lines.push(`CREATE TABLE ${table} (${names.map((n) => `${n} integer DEFAULT ${t}`).join(', ')});`);
    lines.push(`ALTER TABLE ${table} OWNER TO app;`);
    lines.push(`GRANT SELECT (${names.join(', ')}) ON TABLE ${table} TO reporting;`);
    lines.push(`COPY ${table} (${names.join(', ')}) FROM stdin;`);
    for (let r = 0; r < 3; r++) lines.push(names.map((_, c) => String(r + c)).join('\t'));
    lines.push('\\.');
  }
  const all = Buffer.from(lines.join('\n') + '\n');
  const chunks: Buffer[] = [];
  for (let at = 0; at < all.length; at += CHUNK) chunks.push(all.subarray(at, at + CHUNK));
  return chunks;
}

function measure(label: string, chunks: Buffer[]): void {
  const bytes = chunks.reduce((sum, c) => sum + c.length, 0);
  const rounds = 3;
  const seconds: number[] = [];
  for (let round = 0; round < rounds; round++) {
    // Not enforcing: the same work, and a reader from before issue 20 (which refused wide COPYs) measures too.
    const reader = new DumpReader({ file: label, enforce: false });
    const started = process.hrtime.bigint();
    for (const chunk of chunks) reader.push(chunk);
    reader.finish();
    seconds.push(Number(process.hrtime.bigint() - started) / 1e9);
  }
  const best = Math.min(...seconds);
  console.log(
    `dump reader ${label}: ${(bytes / 1e6).toFixed(0)} MB in ${best.toFixed(2)} s = ${(bytes / 1e6 / best).toFixed(0)} MB/s`,
  );
}

async function main(): Promise<void> {
  const file = process.argv[2] ?? '.data/bench/bench_20240101_000000.sql.gz';
  if (existsSync(file)) measure('copy-heavy', await loadSql(file, 400 * 1024 * 1024));
  else console.log(`no COPY-heavy dump at ${file}; run npm run bench once to make it`);
  measure('insert-heavy', insertHeavySql(1_500_000));
  measure('schema-heavy', schemaHeavySql(2_000, 60));
}

void main();
