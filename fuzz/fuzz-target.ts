import { createWriteStream } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import { databaseContent, differences, dropDatabaseIfExists, schemaOf } from './compare';
import { onCleanup } from './cleanup';
import { restoreWithPsql } from './restore-psql';
import { ProductRestorer, SERVICE, type ProductSettings } from './restore-product';
import type { PostgresServer } from './server';
import type { Verdict } from './verdict';

/**
 * The target server (18) and both restores of a dump into it: psql as superuser into one fresh database, the
 * product into another; then the verdict. The shrinker and the regression test call `check` too.
 */
export class FuzzTarget {
  private counter = 0;
  private readonly product: ProductRestorer;

  private constructor(
    readonly server: PostgresServer,
    private readonly directory: string,
  ) {
    this.product = new ProductRestorer(server, directory);
  }

  static async open(server: PostgresServer): Promise<FuzzTarget> {
    const directory = await mkdtemp(path.join(os.tmpdir(), 'opareta-fuzz-backups-'));
    onCleanup(`backup folder ${directory}`, () => rm(directory, { recursive: true, force: true }));
    return new FuzzTarget(server, directory);
  }

  /** A backup name the catalog accepts, one second apart per dump: `fuzz_YYYYMMDD_HHMMSS.sql.gz`. */
  private nextFileName(): string {
    const stamp = new Date(Date.UTC(2020, 0, 1) + ++this.counter * 1000).toISOString();
    return `${SERVICE}_${stamp.slice(0, 10).replace(/-/g, '')}_${stamp.slice(11, 19).replace(/:/g, '')}.sql.gz`;
  }

  /**
   * `jobs` > 1: the product's parallel restore. Its units run side by side, so when several statements would fail
   * it may name a later one than psql's first: then any SQL error of the product's agrees with psql's failure.
   */
  async check(dump: Buffer, settings: ProductSettings = { jobs: 1 }): Promise<Verdict> {
    const { jobs } = settings;
    const n = this.counter + 1;
    const file = this.nextFileName();
    const plain = path.join(this.directory, `${n}.sql`);
    await writeFile(plain, dump);
    await pipeline(Readable.from([dump]), createGzip({ level: 1 }), createWriteStream(path.join(this.directory, file)));
    const psqlDatabase = `fuzz_psql_${n}`;
    const productDatabase = `fuzz_product_${n}`;
    const before = new Set(await this.databases());
    let created: string[] = [];
    try {
      // A --create dump makes and names its own database: psql starts in the maintenance database then.
      const createsDatabase = /^CREATE DATABASE /m.test(dump.toString('latin1'));
      if (!createsDatabase) await this.server.query('postgres', `CREATE DATABASE ${psqlDatabase}`);
      const psql = await restoreWithPsql(this.server, plain, createsDatabase ? 'postgres' : psqlDatabase);
      created = (await this.databases()).filter((d) => !before.has(d));
      const restoredByPsql = createsDatabase ? created.find((d) => d !== psqlDatabase) : psqlDatabase;
      const product = await this.product.restore(file, productDatabase, settings);

      if (psql.ok && !product.ok) {
        return {
          kind: 'false-refusal',
          detail: [`psql restored it; the product's ${product.stage}: ${product.type}: ${product.message}`],
        };
      }
      if (!psql.ok && product.ok) {
        return { kind: 'mismatch', detail: [`the product restored it; psql failed: ${firstError(psql.stderr)}`] };
      }
      if (!psql.ok && !product.ok) {
        const parallelSqlError = jobs > 1 && product.type === 'RestoreSqlError';
        if (parallelSqlError || sameStatement(dump, psql.line, product.line, product.copyTable)) {
          return { kind: 'both-failed', detail: [firstError(psql.stderr)] };
        }
        return {
          kind: 'mismatch',
          detail: [
            `both failed, on different statements: psql at line ${psql.line}: ${firstError(psql.stderr)}`,
            `product at line ${product.line}: ${product.type}: ${product.message}`,
          ],
        };
      }
      if (!restoredByPsql)
        return { kind: 'mismatch', detail: ['psql restored a --create dump but no new database is seen'] };
      const detail: string[] = [];
      if (product.ok && product.failedChecks.length > 0)
        detail.push(...product.failedChecks.map((c) => `verification: ${c}`));
      const content = differences(
        await databaseContent(this.server, restoredByPsql),
        await databaseContent(this.server, productDatabase),
      );
      if (content.length > 0) detail.push('content (- psql, + product):', ...content);
      const schema = differences(
        await schemaOf(this.server, restoredByPsql),
        await schemaOf(this.server, productDatabase),
      );
      if (schema.length > 0) detail.push('schema (- psql, + product):', ...schema);
      return detail.length > 0 ? { kind: 'mismatch', detail } : { kind: 'restored', detail: [] };
    } finally {
      created = (await this.databases()).filter((d) => !before.has(d));
      for (const database of new Set([...created, psqlDatabase, productDatabase])) {
        await dropDatabaseIfExists(this.server, database);
      }
      await rm(plain, { force: true });
      await rm(path.join(this.directory, file), { force: true });
    }
  }

  private async databases(): Promise<string[]> {
    const rows = await this.server.query<{ datname: string }>('postgres', 'SELECT datname FROM pg_database');
    return rows.map((r) => r.datname);
  }
}

function firstError(stderr: string): string {
  return (/^.*ERROR:.*$/m.exec(stderr)?.[0] ?? stderr.trim().split('\n')[0] ?? '').slice(0, 300);
}

/**
 * psql names the line where the failing statement ends, the product the line where it starts (or the same): the
 * same statement when no line between them ends one.
 */
function sameStatement(
  dump: Buffer,
  psqlLine: number | undefined,
  productLine: number | undefined,
  copyTable: string | undefined,
): boolean {
  if (psqlLine === undefined) return false;
  if (productLine === undefined) {
    // A COPY's rows failed in the product: the same statement when psql failed on that table's COPY. psql names
    // the line where the COPY statement ends, later than its first when a column name holds a newline.
    const lines = dump.toString('utf8').split('\n');
    let start = Math.min(psqlLine, lines.length) - 1;
    while (start > 0 && !lines[start].startsWith('COPY ') && !/;\s*$/.test(lines[start - 1])) start--;
    const copy = lines.slice(start, psqlLine).join('\n');
    return (
      copyTable !== undefined && copy.startsWith('COPY ') && normaliseName(copy).includes(normaliseName(copyTable))
    );
  }
  if (productLine === psqlLine) return true;
  if (productLine > psqlLine) return false;
  const lines = dump
    .toString('utf8')
    .split('\n')
    .slice(productLine - 1, psqlLine - 1);
  return !lines.some((line) => /;\s*$/.test(line));
}

/** Names compared without their quotes: the product writes them as quote_ident does, pg_dump as fmtId does. */
function normaliseName(text: string): string {
  return text.replace(/"/g, '');
}
