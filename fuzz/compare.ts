import { spawn } from 'node:child_process';
import path from 'node:path';
import { ident } from './generate/names';
import type { PostgresServer } from './server';

/** Schemas that are the product's own bookkeeping, never the dump's. */
const PRODUCT_SCHEMAS = "nspname NOT LIKE 'opareta\\_ledger\\_%'";

/**
 * What a restored database holds, as comparable lines: per table (and populated materialized view) its row count
 * and an order-independent checksum (the sum of a 60-bit md5 prefix of each row's text, in UTF-8 whatever the
 * database's encoding), per sequence its state, and the large objects' data.
 */
export async function databaseContent(server: PostgresServer, database: string): Promise<string[]> {
  const client = server.client(database);
  await client.connect();
  try {
    const relations = await client.query<{ name: string; relkind: string; populated: boolean }>(
      `SELECT quote_ident(n.nspname) || '.' || quote_ident(c.relname) AS name, c.relkind, c.relispopulated AS populated
         FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE c.relkind IN ('r', 'm', 'S') AND n.nspname NOT IN ('pg_catalog', 'information_schema')
          AND n.nspname NOT LIKE 'pg\\_toast%' AND ${PRODUCT_SCHEMAS}
        ORDER BY 1`,
    );
    const lines: string[] = [];
    for (const { name, relkind, populated } of relations.rows) {
      if (relkind === 'S') {
        const [s] = (await client.query(`SELECT last_value, is_called FROM ${name}`)).rows;
        lines.push(`sequence ${name}: ${s.last_value} ${s.is_called}`);
      } else if (!populated) {
        lines.push(`${relkind === 'm' ? 'materialized view' : 'table'} ${name}: not populated`);
      } else {
        const [t] = (
          await client.query(
            `SELECT count(*) AS n,
                    coalesce(sum(('x' || substr(md5(convert_to(t::text, 'UTF8')), 1, 15))::bit(60)::bigint::numeric), 0) AS sum
               FROM ONLY ${name} t`,
          )
        ).rows;
        lines.push(`${relkind === 'm' ? 'materialized view' : 'table'} ${name}: ${t.n} rows, checksum ${t.sum}`);
      }
    }
    const objects = await client.query<{ line: string }>(
      `SELECT 'large object ' || oid || ': ' || md5(lo_get(oid)) AS line FROM pg_largeobject_metadata ORDER BY oid`,
    );
    lines.push(...objects.rows.map((r) => r.line));
    return lines;
  } finally {
    await client.end();
  }
}

/** `pg_dump --schema-only --no-owner --no-privileges` of the target, without comments, keys and the ledger. */
export function schemaOf(server: PostgresServer, database: string): Promise<string[]> {
  const pgDump = path.join(server.binaries.clientBin, 'pg_dump');
  const child = spawn(
    pgDump,
    ['--schema-only', '--no-owner', '--no-privileges', '--exclude-schema=opareta_ledger_*', '-d', database],
    {
      env: { ...process.env, ...server.clientEnvironment(), PGCLIENTENCODING: 'UTF8' },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  const out: Buffer[] = [];
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => out.push(d));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code) => {
      if (code !== 0) return reject(new Error(`pg_dump --schema-only of ${database} exited ${code}: ${stderr}`));
      resolve(normaliseSchema(Buffer.concat(out).toString('utf8')));
    });
  });
}

/**
 * Lines that differ between two restores of one dump for reasons that are not the dump's: pg_dump's comments and
 * `\restrict` keys, and what the product documents leaving out (COMMENT ON EXTENSION).
 */
export function normaliseSchema(text: string): string[] {
  return text
    .split('\n')
    .filter((line) => line !== '' && !line.startsWith('--') && !/^\\(un)?restrict /.test(line))
    .filter((line) => !line.startsWith('COMMENT ON EXTENSION '));
}

/** The first differences between two line lists, as `- expected` / `+ actual` lines (at most `limit`). */
export function differences(expected: string[], actual: string[], limit = 8): string[] {
  const inExpected = new Map<string, number>();
  for (const line of expected) inExpected.set(line, (inExpected.get(line) ?? 0) + 1);
  const inActual = new Map<string, number>();
  for (const line of actual) inActual.set(line, (inActual.get(line) ?? 0) + 1);
  const out: string[] = [];
  for (const [line, n] of inExpected) if ((inActual.get(line) ?? 0) < n) out.push(`- ${line}`);
  for (const [line, n] of inActual) if ((inExpected.get(line) ?? 0) < n) out.push(`+ ${line}`);
  return out.slice(0, limit);
}

export async function dropDatabaseIfExists(server: PostgresServer, database: string): Promise<void> {
  await server.query('postgres', `DROP DATABASE IF EXISTS ${ident(database)} WITH (FORCE)`);
}
