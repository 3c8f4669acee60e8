import { afterAll, beforeAll, chai, describe, expect, it } from 'vitest';
import { createActivities } from '../../../activities';
import type { BackupManifest, DrActivities, TableCount } from '../../../shared/activity-contract';
import {
  ensureImage,
  inActivity,
  query,
  removeContainers,
  startPostgres,
  tempDirectory,
  testTopology,
  type PostgresContainer,
} from './helpers';
import {
  OLD_DUMPS,
  PG_DUMP_VARIANTS,
  TRAPS_DATABASE,
  databaseFacts,
  seedSource,
  writeCorpus,
  type DatabaseFacts,
  type WrittenDump,
} from './valid-dumps/corpus';

/**
 * Issue 8: every VALID dump restores exactly. Real pg_dump 15 dumps of valid-dumps/schema.sql with many options,
 * and hand-written dumps in the style of pg_dump 9.x, each restored by the restore activity into a side database
 * of a separate target server, then checked against facts computed by our own SQL in the source:
 *   (1) the manifest of verifyBackup has the source's rows per table,
 *   (2) our own count in the restored database equals the source's,
 *   (3) verifyRestoredDatabase passes every check,
 *   (4) the restored database has the source's large objects,
 *   (5) the content (rows as text, materialized views, large object data, function bodies) is the source's.
 */

// Failures name every table that differs: do not cut the values in assertion messages.
chai.config.truncateThreshold = 0;

let source: PostgresContainer;
let target: PostgresContainer;
let backups: Awaited<ReturnType<typeof tempDirectory>>;
let activities: DrActivities;
let sourceFacts: DatabaseFacts;
let trapsFacts: DatabaseFacts;
let dumps: WrittenDump[];

beforeAll(async () => {
  await ensureImage();
  backups = await tempDirectory('valid-dumps');
  [source, target] = await Promise.all([startPostgres('vd-src'), startPostgres('vd-dst')]);
  await seedSource(source);
  sourceFacts = await databaseFacts(source);
  trapsFacts = await databaseFacts(source, TRAPS_DATABASE);
  dumps = await writeCorpus(source, backups.path);
  activities = createActivities({ topology: testTopology({ pg: target, backupDirectory: backups.path }) });
});

afterAll(async () => {
  await removeContainers([source?.name, target?.name].filter(Boolean));
  await backups?.remove();
});

function byTable(tables: TableCount[]): Record<string, number> {
  return Object.fromEntries(tables.map((t) => [t.table, t.rows]));
}

/** What differs from the expected rows per table, one line a table: empty when equal. */
function countDifferences(actual: Record<string, number>, expected: Record<string, number>): string[] {
  const lines: string[] = [];
  for (const [table, rows] of Object.entries(expected)) {
    if (!(table in actual)) lines.push(`${table}: missing (source ${rows})`);
    else if (actual[table] !== rows) lines.push(`${table}: ${actual[table]} (source ${rows})`);
  }
  for (const [table, rows] of Object.entries(actual)) {
    if (!(table in expected)) lines.push(`${table}: not a source table (${rows})`);
  }
  return lines.sort();
}

/** Digests that differ, by name. */
function digestDifferences(actual: Record<string, string>, expected: Record<string, string>): string[] {
  const names = new Set([...Object.keys(actual), ...Object.keys(expected)]);
  return [...names].filter((n) => actual[n] !== expected[n]).sort();
}

function message(err: unknown): string {
  const e = err as { type?: string; message?: string };
  return `${e.type ?? 'Error'}: ${e.message ?? String(err)}`;
}

interface Expected {
  counts: Record<string, number>;
  largeObjects: number;
  digests?: Record<string, string>;
  values?: { sql: string; value: string | number | null }[];
}

async function restoreAndCheck(dump: WrittenDump, index: number, expected: Expected): Promise<void> {
  const file = dump.file;
  const side = `shop_db_valid_${index}`;
  try {
    let manifest: BackupManifest | undefined;
    try {
      manifest = await inActivity(() => activities.verifyBackup({ service: 'shop', file }));
    } catch (err) {
      expect.soft(message(err), 'verifyBackup threw').toBeUndefined();
    }
    if (manifest) {
      expect
        .soft(countDifferences(byTable(manifest.tables), expected.counts), '(1) manifest rows per table')
        .toEqual([]);
    }

    const result = await inActivity(() => activities.restoreBackup({ service: 'shop', file, targetDatabase: side }));
    expect.soft(countDifferences(byTable(result.tables), expected.counts), 'restoreBackup rows per table').toEqual([]);

    const restored = await databaseFacts(target, side);
    expect
      .soft(countDifferences(restored.counts, expected.counts), '(2) rows counted in the restored database')
      .toEqual([]);

    const report = await inActivity(() =>
      activities.verifyRestoredDatabase({
        service: 'shop',
        database: side,
        expected: manifest?.tables ?? Object.entries(expected.counts).map(([table, rows]) => ({ table, rows })),
      }),
    );
    expect
      .soft(
        report.checks.filter((c) => !c.passed).map((c) => `${c.name}: ${c.detail}`),
        '(3) failed verification checks',
      )
      .toEqual([]);

    expect.soft(restored.largeObjects, '(4) large objects').toBe(expected.largeObjects);
    if (expected.digests) {
      expect.soft(digestDifferences(restored.digests, expected.digests), '(5) content differs').toEqual([]);
    }
    for (const { sql, value } of expected.values ?? []) {
      const rows = await query<{ v: unknown }>(target, sql, side);
      expect.soft(rows, `(5) ${sql}`).toEqual([{ v: value }]);
    }
  } finally {
    await inActivity(() => activities.dropDatabase({ service: 'shop', database: side }));
  }
}

describe('valid pg_dump 15 dumps restore exactly', () => {
  it('the source has what the corpus is about', () => {
    expect(Object.keys(sourceFacts.counts)).toHaveLength(15);
    expect(sourceFacts.counts).toMatchObject({
      'public.users': 300,
      'public.notes': 250,
      'public."select"': 200,
      'public.empty_table': 0,
      'public.measurements': 0,
      'billing."CamelCase"': 150,
      '"Audit Log"."Zähler"': 220,
      '"Audit Log"."ünïcödé tbl"': 180,
      '"Audit Log".events': 250,
    });
    const partitions = ['public.measurements_2023', 'billing.measurements_2024', 'public.measurements_default'];
    expect(partitions.reduce((sum, p) => sum + sourceFacts.counts[p], 0)).toBe(400);
    expect(partitions.every((p) => sourceFacts.counts[p] > 0)).toBe(true);
    expect(sourceFacts.largeObjects).toBe(4);
    expect(trapsFacts.counts).toEqual({ ...sourceFacts.counts, 'public.trap_notes': 240 });
    expect(dumps.map((d) => d.name)).toEqual([
      ...PG_DUMP_VARIANTS.map((v) => v.name),
      ...OLD_DUMPS.map((m) => m().name),
    ]);
  });

  PG_DUMP_VARIANTS.forEach((variant, index) => {
    it(`pg_dump ${variant.name}`, async () => {
      const dump = dumps[index];
      expect(dump.name).toBe(variant.name);
      const facts = variant.traps ? trapsFacts : sourceFacts;
      await restoreAndCheck(dump, index, {
        counts: facts.counts,
        largeObjects: facts.largeObjects,
        digests: facts.digests,
      });
    });
  });
});

describe('valid dumps in the style of pg_dump 9.x restore exactly', () => {
  OLD_DUMPS.forEach((make, i) => {
    const name = make().name;
    it(name, async () => {
      const index = PG_DUMP_VARIANTS.length + i;
      const dump = dumps[index];
      expect(dump.name).toBe(name);
      await restoreAndCheck(dump, index, {
        counts: dump.old!.counts,
        largeObjects: 0,
        values: dump.old!.values,
      });
    });
  });
});
