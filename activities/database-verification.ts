import type { Client } from 'pg';
import type { CheckResult, TableCount, VerificationReport } from '../shared/activity-contract';
import type { ServiceConfig, VerificationCheck } from '../shared/topology';
import { errorMessage } from './errors';
import { quoteIdentifier, tableCounts, type PostgresAccess } from './postgres';

/** Checks a restored database: row counts equal to the dump's, the service's own checks, amcheck. */
export async function verifyDatabase(
  postgres: PostgresAccess,
  config: ServiceConfig,
  database: string,
  expected: TableCount[],
  skipServiceChecks = false,
): Promise<VerificationReport> {
  const checks = await postgres.withClient(config, database, async (client) => {
    const results: CheckResult[] = [{ name: 'connectivity', passed: true, detail: 'SELECT 1 answered' }];
    await client.query('SELECT 1');
    results.push(await compareRowCounts(client, expected));
    if (!skipServiceChecks) {
      for (const check of config.verification) results.push(await runServiceCheck(client, check));
    }
    results.push(await checkBtreeIndexes(client));
    return results;
  });
  return { database, passed: checks.every((c) => c.passed), checks };
}

export async function compareRowCounts(client: Client, expected: TableCount[]): Promise<CheckResult> {
  const actual = new Map((await tableCounts(client)).map((t) => [t.table, t.rows]));
  const problems = expected
    .filter((e) => actual.get(e.table) !== e.rows)
    .map((e) =>
      actual.has(e.table) ? `${e.table}: ${actual.get(e.table)} rows, dump has ${e.rows}` : `${e.table}: missing`,
    );
  const total = expected.reduce((sum, e) => sum + e.rows, 0);
  return {
    name: 'row counts equal the dump',
    passed: problems.length === 0,
    detail: problems.length === 0 ? `${expected.length} tables, ${total} rows` : problems.slice(0, 20).join('; '),
  };
}

async function runServiceCheck(client: Client, check: VerificationCheck): Promise<CheckResult> {
  try {
    if (check.violationsSql) {
      const result = await client.query(check.violationsSql);
      const sample = result.rows.slice(0, 3).map((row) => JSON.stringify(row));
      return {
        name: check.name,
        passed: result.rows.length === 0,
        detail:
          result.rows.length === 0 ? 'no violations' : `${result.rows.length} violations, e.g. ${sample.join(', ')}`,
      };
    }
    const result = await client.query(check.countSql!);
    const value = Number(Object.values(result.rows[0] ?? {})[0]);
    return { name: check.name, passed: value >= check.atLeast, detail: `${value} (at least ${check.atLeast})` };
  } catch (err) {
    return { name: check.name, passed: false, detail: `query failed: ${errorMessage(err)}` };
  }
}

/** bt_index_check on every btree index, where the server has amcheck (contrib). */
export async function checkBtreeIndexes(client: Client): Promise<CheckResult> {
  const name = 'amcheck btree indexes';
  const available = await client.query("SELECT 1 FROM pg_available_extensions WHERE name = 'amcheck'");
  if (available.rowCount === 0)
    return { name, passed: true, detail: 'skipped: amcheck is not installed on the server' };
  await client.query('CREATE EXTENSION IF NOT EXISTS amcheck');
  const schema = await client.query<{ nspname: string }>(
    "SELECT n.nspname FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace WHERE e.extname = 'amcheck'",
  );
  const fn = `${quoteIdentifier(schema.rows[0].nspname)}.bt_index_check`;
  const indexes = await client.query<{ oid: number; name: string }>(
    `SELECT c.oid, c.oid::regclass::text AS name
       FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_am am ON am.oid = c.relam
       JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE am.amname = 'btree' AND i.indisvalid AND n.nspname NOT IN ('pg_catalog', 'information_schema')
        AND n.nspname NOT LIKE 'pg\\_toast%'`,
  );
  const failures: string[] = [];
  for (const index of indexes.rows) {
    try {
      await client.query(`SELECT ${fn}($1::regclass)`, [index.oid]);
    } catch (err) {
      failures.push(`${index.name}: ${errorMessage(err)}`);
    }
  }
  return {
    name,
    passed: failures.length === 0,
    detail: failures.length === 0 ? `${indexes.rows.length} indexes checked` : failures.slice(0, 10).join('; '),
  };
}
