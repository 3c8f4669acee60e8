import { createReadStream } from 'node:fs';
import path from 'node:path';
import { createGunzip } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createActivities } from '../../../activities';
import { execOrThrow } from '../../../shared/node/docker';
import {
  dumpToFile,
  ensureImage,
  inActivity,
  query,
  removeContainers,
  startPostgres,
  tempDirectory,
  testTopology,
  type PostgresContainer,
} from './helpers';

/**
 * Issue 20: a genuine pg_dump 15 file of a database with a 1600-column table, a table named with 63 bytes of
 * Unicode, and a column of (nearly) every built-in type, restored by the restore activity and by
 * `psql -v ON_ERROR_STOP=1` as a superuser into two databases of the same server: the same tables, the same
 * counts and the same checksum of every table's rows. (At activity level; the worker adds only orchestration.)
 */

const FILE = 'shop_20240501_020000.sql.gz';
const WIDE_COLUMNS = 1600;
/** 31 two-byte letters and one one-byte letter: PostgreSQL's 63-byte limit exactly. */
const UNICODE_NAME = `${'é'.repeat(31)}x`;

const TYPED_COLUMNS: [string, string][] = [
  ['c_int2', 'smallint DEFAULT 1'],
  ['c_int8', 'bigint'],
  ['c_numeric', 'numeric(20,6)'],
  ['c_float4', 'real'],
  ['c_float8', 'double precision'],
  ['c_money', 'money'],
  ['c_text', 'text'],
  ['c_varchar', 'varchar(20)'],
  ['c_char', 'char(3)'],
  ['c_bytea', 'bytea'],
  ['c_bool', 'boolean'],
  ['c_date', 'date'],
  ['c_time', 'time'],
  ['c_timetz', 'timetz'],
  ['c_ts', 'timestamp'],
  ['c_tstz', 'timestamptz'],
  ['c_interval', 'interval'],
  ['c_uuid', 'uuid'],
  ['c_json', 'json'],
  ['c_jsonb', 'jsonb'],
  ['c_xml', 'xml'],
  ['c_inet', 'inet'],
  ['c_cidr', 'cidr'],
  ['c_macaddr', 'macaddr'],
  ['c_macaddr8', 'macaddr8'],
  ['c_bit', 'bit(4)'],
  ['c_varbit', 'varbit(8)'],
  ['c_tsvector', 'tsvector'],
  ['c_tsquery', 'tsquery'],
  ['c_point', 'point'],
  ['c_line', 'line'],
  ['c_lseg', 'lseg'],
  ['c_box', 'box'],
  ['c_path', 'path'],
  ['c_polygon', 'polygon'],
  ['c_circle', 'circle'],
  ['c_int4range', 'int4range'],
  ['c_numrange', 'numrange'],
  ['c_tstzrange', 'tstzrange'],
  ['c_daterange', 'daterange'],
  ['c_int4multirange', 'int4multirange'],
  ['c_int_array', 'integer[]'],
  ['c_text_array', 'text[]'],
  ['c_enum', 'public.mood'],
  ['c_composite', 'public.pair'],
  ['c_domain', 'public.positive'],
  ['c_pg_lsn', 'pg_lsn'],
  ['c_oid', 'oid'],
];

const TYPED_VALUES = [
  '2',
  '9007199254740993',
  "'12345678901234.123456'",
  "'1.5'",
  "'-2.25e-300'",
  "'12.34'",
  "E'tab\\there\\nnew line \\\\ backslash \\\\. and 𝄞'",
  "''",
  "'ab'",
  "'\\xdeadbeef00'",
  'true',
  "'2024-02-29'",
  "'23:59:59.999999'",
  "'12:00+05:30'",
  "'2024-01-01 00:00:00'",
  "'2024-01-01 00:00:00+00'",
  "'1 year 2 mons -3 days 04:05:06'",
  "'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11'",
  `'{"a": [1, "x"], "b": null}'`,
  `'{"a": [1, "x"], "b": null}'`,
  '\'<a b="c">text</a>\'',
  "'192.168.0.1/24'",
  "'10.0.0.0/8'",
  "'08:00:2b:01:02:03'",
  "'08:00:2b:01:02:03:04:05'",
  "B'1010'",
  "B'101'",
  "'a fat cat sat on a mat'",
  "'fat & (rat | cat)'",
  "'(1,2)'",
  "'{1,2,3}'",
  "'[(0,0),(1,1)]'",
  "'((0,0),(1,1))'",
  "'[(0,0),(1,1),(2,0)]'",
  "'((0,0),(1,1),(2,0))'",
  "'<(0,0),1>'",
  "'[1,10)'",
  "'(0.5,1.5]'",
  "'[2024-01-01 00:00+00,2024-02-01 00:00+00)'",
  "'[2024-01-01,2024-02-01)'",
  "'{[1,3), [5,7)}'",
  "'{1,NULL,3}'",
  `'{"a","b c","d\\"e"}'`,
  "'happy'",
  "ROW(1, 'x')",
  '7',
  "'16/B374D848'",
  '42',
];

let source: PostgresContainer;
let target: PostgresContainer;
let backups: Awaited<ReturnType<typeof tempDirectory>>;

beforeAll(async () => {
  await ensureImage();
  backups = await tempDirectory('wide-typed');
  [source, target] = await Promise.all([startPostgres('wt-src'), startPostgres('wt-dst')]);
  const wide = Array.from({ length: WIDE_COLUMNS }, (_, i) => `"column ${i}" integer`).join(', ');
  const wideValues = (row: number) => Array.from({ length: WIDE_COLUMNS }, (_, i) => String(row * i)).join(', ');
  await query(
    source,
    `CREATE TYPE public.mood AS ENUM ('sad', 'happy');
     CREATE TYPE public.pair AS (n integer, s text);
     CREATE DOMAIN public.positive AS integer CHECK (VALUE > 0);
     CREATE TABLE public.wide (${wide});
     INSERT INTO public.wide VALUES (${wideValues(1)}), (${wideValues(2)}), (${wideValues(3)});
     CREATE TABLE public."${UNICODE_NAME}" (id integer PRIMARY KEY, note text);
     INSERT INTO public."${UNICODE_NAME}" SELECT g, 'ünïcödé ' || g FROM generate_series(1, 50) g;
     CREATE TABLE public.typed (id serial PRIMARY KEY, ${TYPED_COLUMNS.map(([n, t]) => `${n} ${t}`).join(', ')});
     INSERT INTO public.typed (${TYPED_COLUMNS.map(([n]) => n).join(', ')}) VALUES (${TYPED_VALUES.join(', ')});
     INSERT INTO public.typed (c_int2) VALUES (NULL);`,
  );
  await dumpToFile(source, path.join(backups.path, FILE));
});

afterAll(async () => {
  await removeContainers([source?.name, target?.name].filter(Boolean));
  await backups?.remove();
});

/** Every table with its row count and an order-independent checksum of its rows' text. */
async function fingerprint(database: string): Promise<Record<string, string>> {
  const tables = await query<{ name: string }>(
    target,
    `SELECT format('%I.%I', schemaname, tablename) AS name FROM pg_tables WHERE schemaname = 'public' ORDER BY 1`,
    database,
  );
  const found: Record<string, string> = {};
  for (const { name } of tables) {
    const [row] = await query<{ n: string; sum: string }>(
      target,
      `SELECT count(*) AS n, md5(coalesce(string_agg(md5(t::text), '' ORDER BY md5(t::text)), '')) AS sum FROM ${name} t`,
      database,
    );
    found[name] = `${row.n} rows, ${row.sum}`;
  }
  return found;
}

describe('a wide, Unicode-named, every-type database: the product restores what psql restores', () => {
  it('restores with the same counts and checksums as psql', async () => {
    const activities = createActivities({ topology: testTopology({ pg: target, backupDirectory: backups.path }) });
    const manifest = await inActivity(() => activities.verifyBackup({ service: 'shop', file: FILE }));
    expect(manifest.tables.find((t) => t.table === 'public.wide')?.rows).toBe(3);
    const restored = await inActivity(() =>
      activities.restoreBackup({ service: 'shop', file: FILE, targetDatabase: 'shop_db_product' }),
    );
    const report = await inActivity(() =>
      activities.verifyRestoredDatabase({ service: 'shop', database: 'shop_db_product', expected: restored.tables }),
    );
    expect(report.passed, JSON.stringify(report.checks)).toBe(true);

    await query(target, 'CREATE DATABASE psql_db', 'postgres');
    await execOrThrow(target.name, ['psql', '-U', target.user, '-d', 'psql_db', '-v', 'ON_ERROR_STOP=1', '-q', '-X'], {
      stdin: createReadStream(path.join(backups.path, FILE)).pipe(createGunzip()),
    });
    const byPsql = await fingerprint('psql_db');
    expect(Object.keys(byPsql)).toEqual(
      expect.arrayContaining(['public.typed', 'public.wide', `public."${UNICODE_NAME}"`]),
    );
    expect(await fingerprint('shop_db_product')).toEqual(byPsql);
  }, 180_000);
});
