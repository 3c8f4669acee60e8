import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyDatabase } from '../../../activities/database-verification';
import { createPostgresAccess, type PostgresAccess } from '../../../activities/postgres';
import type { TableCount } from '../../../shared/activity-contract';
import type { ServiceConfig } from '../../../shared/node/topology';
import {
  ensureImage,
  PASSWORD,
  query,
  removeContainers,
  startPostgres,
  tempDirectory,
  testTopology,
  type PostgresContainer,
} from './helpers';

let pg: PostgresContainer;
let backups: Awaited<ReturnType<typeof tempDirectory>>;
let config: ServiceConfig;
const postgres: PostgresAccess = createPostgresAccess(() => PASSWORD);

/** A schema shaped like real services': partitions, every index kind, views, empty tables, unicode names. */
const SCHEMA = `
  CREATE SCHEMA sales;
  CREATE SCHEMA "Lager";
  CREATE SCHEMA empty_things;

  CREATE TABLE sales.events (id bigint NOT NULL, at date NOT NULL, body jsonb, PRIMARY KEY (id, at))
    PARTITION BY RANGE (at);
  CREATE TABLE sales.events_2023 PARTITION OF sales.events FOR VALUES FROM ('2023-01-01') TO ('2024-01-01');
  CREATE TABLE sales.events_2024 PARTITION OF sales.events FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');
  CREATE TABLE sales.events_default PARTITION OF sales.events DEFAULT;
  CREATE INDEX events_at_idx ON sales.events (at);
  CREATE INDEX events_body_gin ON sales.events USING gin (body);
  INSERT INTO sales.events
    SELECT g, date '2023-03-01' + (g % 200), jsonb_build_object('n', g) FROM generate_series(1, 30) g;
  INSERT INTO sales.events
    SELECT g, date '2024-02-01' + (g % 200), jsonb_build_object('n', g) FROM generate_series(31, 50) g;

  CREATE TABLE "Lager"."Zähler" (id serial PRIMARY KEY, "Wert" text UNIQUE, tags text[]);
  CREATE INDEX "Zähler_tags_gin" ON "Lager"."Zähler" USING gin (tags);
  CREATE INDEX "Zähler_wert_hash" ON "Lager"."Zähler" USING hash ("Wert");
  INSERT INTO "Lager"."Zähler" ("Wert", tags) SELECT 'wert ' || g, ARRAY['t' || g, 'ä'] FROM generate_series(1, 7) g;

  CREATE TABLE public."ünïcödé tbl" ("ключ" int PRIMARY KEY, "créé" timestamptz NOT NULL DEFAULT now());
  CREATE INDEX "ünïcödé_brin" ON public."ünïcödé tbl" USING brin ("créé");
  INSERT INTO public."ünïcödé tbl" ("ключ") SELECT generate_series(1, 5);

  CREATE TABLE empty_things.nothing (id int PRIMARY KEY);
  CREATE TABLE empty_things.also_nothing (a int);

  CREATE MATERIALIZED VIEW sales.daily AS SELECT at, count(*) AS n FROM sales.events GROUP BY at;
  CREATE UNIQUE INDEX daily_at ON sales.daily (at);
  CREATE MATERIALIZED VIEW sales.never_filled AS SELECT 1 AS x WITH NO DATA;
  CREATE INDEX never_filled_x ON sales.never_filled (x);
  CREATE VIEW sales.recent AS SELECT * FROM sales.events WHERE at > date '2024-01-01';
`;

/** What a dump of SCHEMA counts, written out by hand: COPY of a partitioned parent holds no rows itself. */
const EXPECTED: TableCount[] = [
  { table: '"Lager"."Zähler"', rows: 7 },
  { table: 'empty_things.also_nothing', rows: 0 },
  { table: 'empty_things.nothing', rows: 0 },
  { table: 'public."ünïcödé tbl"', rows: 5 },
  { table: 'sales.events', rows: 0 },
  { table: 'sales.events_2023', rows: 30 },
  { table: 'sales.events_2024', rows: 20 },
  { table: 'sales.events_default', rows: 0 },
];

/**
 * Checks run in a restored database as its owner, a throwaway restore role without privileges: the database
 * here is made the way a restore makes a side database (from template1, owned by such a role, objects its own).
 */
const OWNER = 'opareta_restore_verifytest';
const VERIFY_DB = 'verify_db';

beforeAll(async () => {
  await ensureImage();
  backups = await tempDirectory('verify');
  pg = await startPostgres('verify');
  await query(pg, `CREATE ROLE ${OWNER} NOLOGIN`);
  await query(pg, `CREATE DATABASE ${VERIFY_DB} OWNER ${OWNER}`);
  await query(pg, `SET ROLE ${OWNER};\n${SCHEMA}`, VERIFY_DB);
  config = testTopology({ pg, backupDirectory: backups.path }).services.shop;
});

afterAll(async () => {
  await removeContainers([pg?.name].filter(Boolean));
  await backups?.remove();
});

function amcheckDetail(report: Awaited<ReturnType<typeof verifyDatabase>>): string {
  const check = report.checks.find((c) => c.name === 'amcheck btree indexes');
  expect(check).toBeDefined();
  return check!.detail;
}

describe('verifyDatabase on a schema with partitions, non-B-tree indexes and unicode names', () => {
  it('passes a valid database with the right counts and checks only leaf B-tree indexes', async () => {
    const report = await verifyDatabase(postgres, config, VERIFY_DB, EXPECTED);
    expect(report.checks.map((c) => [c.name, c.passed])).toEqual([
      ['connectivity', true],
      ['row counts equal the dump', true],
      ['amcheck btree indexes', true],
    ]);
    expect(report.passed).toBe(true);
    expect(report.checks[1].detail).toBe('8 tables, 62 rows');

    const detail = amcheckDetail(report);
    // Leaf B-trees: 3 partitions x (pkey + at) + Zähler pkey and Wert unique + ünïcödé pkey + nothing pkey
    // + daily_at + never_filled_x.
    expect(detail).toMatch(/^12 indexes checked; skipped /);
    expect(detail).toContain('3 partitioned (sales.events_at_idx, sales.events_body_gin, sales.events_pkey)');
    // 3 GIN partition indexes under events_body_gin, the Zähler GIN and hash, the ünïcödé BRIN.
    expect(detail).toContain('6 non-B-tree (');
    expect(detail).toContain('gin "Lager"."Zähler_tags_gin"');
    expect(detail).toContain('hash "Lager"."Zähler_wert_hash"');
    expect(detail).toContain('brin public."ünïcödé_brin"');
    expect(detail).toContain('gin sales.events_2023_body_idx');
    // amcheck came from template1 (the set-up's): the check created nothing in the database.
    expect(
      await query(pg, "SELECT extowner::regrole::text AS owner FROM pg_extension WHERE extname = 'amcheck'", VERIFY_DB),
    ).toEqual([{ owner: 'shop' }]);
  });

  it('still fails on a real row-count mismatch and on a missing table', async () => {
    const wrong = EXPECTED.map((e) => (e.table === 'sales.events_2024' ? { ...e, rows: 21 } : e)).concat({
      table: 'sales.gone',
      rows: 3,
    });
    const report = await verifyDatabase(postgres, config, VERIFY_DB, wrong);
    expect(report.passed).toBe(false);
    expect(report.checks[1]).toEqual({
      name: 'row counts equal the dump',
      passed: false,
      detail: 'sales.events_2024: 20 rows, dump has 21; sales.gone: missing',
    });
    expect(amcheckDetail(report)).toMatch(/^12 indexes checked; /);
  });

  it('still fails a B-tree index amcheck finds out of order', async () => {
    // The index is built with one order; its comparison function then reverses, as a broken collation would.
    await query(
      pg,
      `CREATE FUNCTION public.cmp_int(int, int) RETURNS int LANGUAGE sql IMMUTABLE AS 'SELECT btint4cmp($1, $2)';
       CREATE OPERATOR CLASS public.flip_ops FOR TYPE int USING btree AS
         OPERATOR 1 <, OPERATOR 2 <=, OPERATOR 3 =, OPERATOR 4 >=, OPERATOR 5 >, FUNCTION 1 public.cmp_int(int, int);
       CREATE TABLE public.broken (v int);
       INSERT INTO public.broken SELECT generate_series(1, 2000);
       CREATE INDEX broken_v ON public.broken (v public.flip_ops);
       CREATE OR REPLACE FUNCTION public.cmp_int(int, int) RETURNS int LANGUAGE sql IMMUTABLE
         AS 'SELECT btint4cmp($2, $1)';
       ALTER TABLE public.broken OWNER TO ${OWNER};`,
      VERIFY_DB,
    );
    try {
      const report = await verifyDatabase(postgres, config, VERIFY_DB, [
        ...EXPECTED,
        { table: 'public.broken', rows: 2000 },
      ]);
      expect(report.passed).toBe(false);
      expect(report.checks[1].passed).toBe(true);
      expect(amcheckDetail(report)).toMatch(/^public\.broken_v: .*invariant violated.*\(13 indexes checked; skipped /);
    } finally {
      await query(pg, 'DROP TABLE public.broken; DROP OPERATOR CLASS public.flip_ops USING btree CASCADE', VERIFY_DB);
    }
  });
});

describe("verifyDatabase when amcheck cannot be used by the restored database's owner", () => {
  const PLAIN_OWNER = 'opareta_restore_plaintest';

  beforeAll(async () => {
    await query(pg, `CREATE ROLE ${PLAIN_OWNER} NOLOGIN`);
    // From template0: a server whose template1 has no amcheck (set-up not run).
    await query(pg, `CREATE DATABASE plain_db OWNER ${PLAIN_OWNER} TEMPLATE template0`);
    await query(
      pg,
      `SET ROLE ${PLAIN_OWNER}; CREATE TABLE t (id int PRIMARY KEY); INSERT INTO t SELECT generate_series(1, 4)`,
      'plain_db',
    );
  });

  it('passes as skipped when amcheck is not in the database, creating nothing', async () => {
    const report = await verifyDatabase(postgres, config, 'plain_db', [{ table: 'public.t', rows: 4 }]);
    expect(report.passed).toBe(true);
    expect(amcheckDetail(report)).toMatch(
      /^skipped: amcheck is not installed in this database; `opareta-dr setup-roles` installs it in template1/,
    );
    expect(await query(pg, "SELECT 1 FROM pg_extension WHERE extname = 'amcheck'", 'plain_db')).toEqual([]);
  });

  it('passes as skipped when amcheck is installed but the owner may not execute it', async () => {
    await query(pg, 'CREATE EXTENSION amcheck', 'plain_db');
    const report = await verifyDatabase(postgres, config, 'plain_db', [{ table: 'public.t', rows: 4 }]);
    expect(report.passed).toBe(true);
    expect(amcheckDetail(report)).toBe(
      'skipped: this role may not execute public.bt_index_check(regclass); GRANT EXECUTE to PUBLIC in template1 to check indexes',
    );
  });

  it('checks once EXECUTE is granted, and a count mismatch still fails', async () => {
    await query(pg, 'GRANT EXECUTE ON FUNCTION public.bt_index_check(regclass) TO PUBLIC', 'plain_db');
    const report = await verifyDatabase(postgres, config, 'plain_db', [{ table: 'public.t', rows: 4 }]);
    expect(report.passed).toBe(true);
    expect(amcheckDetail(report)).toBe('1 indexes checked');
    const wrong = await verifyDatabase(postgres, config, 'plain_db', [{ table: 'public.t', rows: 5 }]);
    expect(wrong.passed).toBe(false);
    expect(wrong.checks[1].detail).toBe('public.t: 4 rows, dump has 5');
  });

  it('refuses to run checks in a database a privileged role owns', async () => {
    await expect(verifyDatabase(postgres, config, pg.database, [])).rejects.toThrow(
      /refusing to run checks in shop_db: it belongs to shop \(SUPERUSER, CREATEROLE, CREATEDB, REPLICATION, BYPASSRLS\)/,
    );
  });
});
