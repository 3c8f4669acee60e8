import { log } from '@temporalio/activity';
import type { Client } from 'pg';
import type { CheckResult, TableCount, VerificationReport } from '../shared/activity-contract';
import type { ServiceConfig, VerificationCheck } from '../shared/node/topology';
import { errorMessage } from './errors';
import { redactQuotedValues } from './psql-errors';
import { quoteIdentifier, tableCounts, type PostgresAccess } from './postgres';
import { withRestoredDatabase } from './restored-database';

/** What a long verification reports in its heartbeats: the check running and how far it is. */
export type VerificationProgress = (details: { check: string; done: number; total: number }) => void;

/**
 * Checks a restored database: row counts equal to the dump's, the service's own checks, amcheck. The details of
 * checks enter the workflow's history: they name tables, counts and indexes, never row values.
 */
export async function verifyDatabase(
  postgres: PostgresAccess,
  config: ServiceConfig,
  database: string,
  expected: TableCount[],
  skipServiceChecks = false,
  progress: VerificationProgress = () => undefined,
): Promise<VerificationReport> {
  // As the database's throwaway owner: a service check or a count that reaches the backup's code (a view, a
  // policy, a function) runs it with no right beyond the database.
  const checks = await withRestoredDatabase(postgres, config, database, async (client) => {
    const results: CheckResult[] = [{ name: 'connectivity', passed: true, detail: 'SELECT 1 answered' }];
    await client.query('SELECT 1');
    results.push(await compareRowCounts(client, expected, (done, total) => progress({ check: 'rows', done, total })));
    if (!skipServiceChecks) {
      for (const check of config.verification) results.push(await runServiceCheck(client, check));
    }
    results.push(await checkBtreeIndexes(client, (done, total) => progress({ check: 'amcheck', done, total })));
    return results;
  });
  return { database, passed: checks.every((c) => c.passed), checks };
}

export async function compareRowCounts(
  client: Client,
  expected: TableCount[],
  onTable?: (done: number, total: number) => void,
): Promise<CheckResult> {
  const counted = await tableCounts(client, onTable, { liftForcedPolicies: true });
  const actual = new Map(counted.map((t) => [t.table, t.rows]));
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
      if (result.rows.length === 0) return { name: check.name, passed: true, detail: 'no violations' };
      // The rows are customer data (ids, amounts): the worker's log has a sample, the report only their shape.
      log.warn('verification check found violations', { check: check.name, sample: result.rows.slice(0, 3) });
      const columns = result.fields.map((f) => f.name).join(', ');
      return {
        name: check.name,
        passed: false,
        detail: `${result.rows.length} violations (columns ${columns}; a sample is in the worker's log)`,
      };
    }
    const result = await client.query(check.countSql!);
    const value = Number(Object.values(result.rows[0] ?? {})[0]);
    return { name: check.name, passed: value >= check.atLeast, detail: `${value} (at least ${check.atLeast})` };
  } catch (err) {
    return { name: check.name, passed: false, detail: `query failed: ${redactQuotedValues(errorMessage(err))}` };
  }
}

interface IndexRow {
  oid: number;
  name: string;
  relkind: string;
  amname: string;
  usable: boolean;
}

/**
 * bt_index_check on every leaf B-tree index, where amcheck can be used. Partitioned indexes (relkind 'I', no
 * storage of their own: their partitions' indexes are checked), other access methods, and indexes not yet valid
 * or ready are skipped and counted in the detail; other sessions' temporary schemas are left out. The check runs
 * as the restored database's throwaway owner, which may not create amcheck (an untrusted extension): it is there
 * when the server's template1 has it, with EXECUTE granted to PUBLIC (`opareta-dr setup-roles` does both). When it
 * is missing or may not be executed, the check passes as "skipped", saying so: it must never fail a valid restore.
 */
export async function checkBtreeIndexes(
  client: Client,
  onIndex?: (done: number, total: number) => void,
): Promise<CheckResult> {
  const name = 'amcheck btree indexes';
  const amcheck = await amcheckFunction(client);
  if ('skipped' in amcheck) return { name, passed: true, detail: `skipped: ${amcheck.skipped}` };
  const indexes = await client.query<IndexRow>(
    `SELECT c.oid, c.oid::regclass::text AS name, c.relkind::text AS relkind, am.amname::text AS amname,
            (i.indisvalid AND i.indisready AND i.indislive) AS usable
       FROM pg_catalog.pg_index i JOIN pg_catalog.pg_class c ON c.oid = i.indexrelid
       JOIN pg_catalog.pg_am am ON am.oid = c.relam JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
      WHERE c.relkind IN ('i', 'I') AND n.nspname NOT IN ('pg_catalog', 'information_schema')
        AND n.nspname NOT LIKE 'pg\\_toast%' AND NOT pg_catalog.pg_is_other_temp_schema(n.oid)
      ORDER BY 2`,
  );
  const partitioned = indexes.rows.filter((i) => i.relkind === 'I');
  const otherMethods = indexes.rows.filter((i) => i.relkind === 'i' && i.amname !== 'btree');
  const unusable = indexes.rows.filter((i) => i.relkind === 'i' && i.amname === 'btree' && !i.usable);
  const leaves = indexes.rows.filter((i) => i.relkind === 'i' && i.amname === 'btree' && i.usable);
  const failures: string[] = [];
  for (const [i, index] of leaves.entries()) {
    try {
      await client.query(`SELECT ${amcheck.fn}($1::pg_catalog.regclass)`, [index.oid]);
    } catch (err) {
      failures.push(`${index.name}: ${redactQuotedValues(errorMessage(err))}`);
    }
    onIndex?.(i + 1, leaves.length);
  }
  const skipped = [
    partitioned.length > 0 && `${partitioned.length} partitioned (${sample(partitioned.map((i) => i.name))})`,
    otherMethods.length > 0 &&
      `${otherMethods.length} non-B-tree (${sample(otherMethods.map((i) => `${i.amname} ${i.name}`))})`,
    unusable.length > 0 && `${unusable.length} not valid or not ready (${sample(unusable.map((i) => i.name))})`,
  ].filter(Boolean);
  const summary = `${leaves.length} indexes checked${skipped.length > 0 ? `; skipped ${skipped.join(', ')}` : ''}`;
  return {
    name,
    passed: failures.length === 0,
    detail: failures.length === 0 ? summary : `${failures.slice(0, 10).join('; ')} (${summary})`,
  };
}

function sample(names: string[], limit = 10): string {
  const shown = names.slice(0, limit).join(', ');
  return names.length > limit ? `${shown} and ${names.length - limit} more` : shown;
}

/** The schema-qualified bt_index_check when amcheck is in this database and this role may run it. */
async function amcheckFunction(client: Client): Promise<{ fn: string } | { skipped: string }> {
  const installed = await client.query<{ nspname: string }>(
    `SELECT n.nspname FROM pg_catalog.pg_extension e JOIN pg_catalog.pg_namespace n ON n.oid = e.extnamespace
      WHERE e.extname = 'amcheck'`,
  );
  const schema = installed.rows[0]?.nspname;
  if (schema === undefined) {
    return {
      skipped:
        'amcheck is not installed in this database; `opareta-dr setup-roles` installs it in template1, which new ' +
        'side databases are created from',
    };
  }
  const fn = `${quoteIdentifier(schema)}.bt_index_check`;
  const allowed = await client.query<{ allowed: boolean }>(
    "SELECT pg_catalog.has_function_privilege($1 || '(regclass)', 'EXECUTE') AS allowed",
    [fn],
  );
  if (!allowed.rows[0]?.allowed) {
    return {
      skipped: `this role may not execute ${schema}.bt_index_check(regclass); GRANT EXECUTE to PUBLIC in template1 to check indexes`,
    };
  }
  return { fn };
}
