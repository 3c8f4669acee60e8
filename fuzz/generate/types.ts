import type { Random } from '../random';
import { literal } from './names';
import { byteaHex, textValue } from './values';

/** What a value generator may depend on. */
export interface ValueContext {
  random: Random;
  latin1: boolean;
  /** 1-based row number: ranges of an exclusion constraint stay apart by it. */
  row: number;
}

/** A column type, as SQL, with a generator of literals of it; `minMajor` and `extension` say where it exists. */
export interface ColumnType {
  sql: string;
  minMajor?: number;
  extension?: string;
  /** Fits a 1600-column row (fixed width, small). */
  narrow?: boolean;
  /** Never NULL (a NOT NULL domain). */
  notNull?: boolean;
  /** Has no btree operator class (geometry, json, xml): no plain index, no statistics. */
  noBtree?: boolean;
  value(ctx: ValueContext): string;
}

const int = (r: Random, lo = -1000, hi = 1000) => r.int(lo, hi);
const typed = (text: string, sql: string) => `${literal(text)}::${sql}`;

function date(r: Random): string {
  return `${String(r.int(1, 2999)).padStart(4, '0')}-${String(r.int(1, 12)).padStart(2, '0')}-${String(r.int(1, 28)).padStart(2, '0')}`;
}
function time(r: Random): string {
  return `${String(r.int(0, 23)).padStart(2, '0')}:${String(r.int(0, 59)).padStart(2, '0')}:${r.int(0, 59)}.${r.int(0, 999999)}`;
}

const simple = (sql: string, make: (r: Random) => string, extra: Partial<ColumnType> = {}): ColumnType => ({
  sql,
  ...extra,
  value: ({ random }) => typed(make(random), sql),
});

/** Every built-in type family the dumps must carry, and the trusted extensions' types. */
export const BUILTIN_TYPES: ColumnType[] = [
  simple('smallint', (r) => String(int(r, -32768, 32767)), { narrow: true }),
  simple('integer', (r) => String(int(r, -2147483648, 2147483647)), { narrow: true }),
  simple('bigint', (r) => r.pick(['9223372036854775807', '-9223372036854775808', String(int(r))])),
  simple('numeric', (r) => r.pick(['NaN', '0', '-0.000000001', '123456789012345678901234567890.5', String(int(r))])),
  simple('numeric(10,2)', (r) => `${int(r, -99999999, 99999999)}.${r.int(0, 99)}`),
  simple('real', (r) => r.pick(['NaN', 'Infinity', '-Infinity', '-0', '1.17549435e-38', String(r.float())])),
  simple('double precision', (r) => r.pick(['NaN', '-Infinity', '2.2250738585072014e-308', String(r.float() * 1e6)])),
  simple('boolean', (r) => r.pick(['true', 'false']), { narrow: true }),
  { sql: 'text', value: ({ random, latin1 }) => literal(textValue(random, latin1)) },
  { sql: 'character varying(4000)', value: ({ random, latin1 }) => literal(textValue(random, latin1).slice(0, 4000)) },
  { sql: 'character(5)', value: ({ random }) => literal(random.pick(['', 'a', 'ab c', 'abcde'])) },
  { sql: '"char"', value: ({ random }) => typed(random.pick(['a', 'Z', ' ', '\\']), '"char"') },
  { sql: 'name', value: ({ random }) => typed(random.pick(['n', 'with space', 'Mixed']), 'name') },
  simple('bytea', (r) => byteaHex(r)),
  simple('date', (r) => r.pick(['infinity', '-infinity', date(r), `${date(r)} BC`])),
  simple('time', (r) => time(r)),
  simple('time with time zone', (r) => `${time(r)}+${r.int(0, 12)}`),
  simple('timestamp', (r) => r.pick(['infinity', `${date(r)} ${time(r)}`])),
  simple('timestamp with time zone', (r) => r.pick(['-infinity', `${date(r)} ${time(r)}+02`])),
  simple('interval', (r) =>
    r.pick(['0', '1 year 2 mons -3 days 04:05:06.789', `${int(r)} seconds`, '-178956970 years']),
  ),
  simple('uuid', (r) => r.pick(['00000000-0000-0000-0000-000000000000', 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11'])),
  {
    sql: 'json',
    noBtree: true,
    value: ({ random, latin1 }) =>
      typed(
        random.pick(['{}', '[]', 'null', '{"a": [1, 2.5, "x\\ty"], "b": {"c": null}}', '{"dup": 1, "dup": 2}']) +
          (latin1 ? '' : random.pick(['', ' '])),
        'json',
      ),
  },
  {
    sql: 'jsonb',
    value: ({ random, latin1 }) =>
      typed(
        random.pick([
          '{}',
          '{"k": "v\\n\\\\"}',
          '[1, "two", null, true]',
          latin1 ? '"ünï"' : '"\\ud83d\\ude00 😀"',
          JSON.stringify({ t: textValue(random, latin1) }),
        ]),
        'jsonb',
      ),
  },
  simple('xml', (r) => r.pick(['<a/>', '<a b="c">text &amp; more</a>', 'just text', '<!-- c --><x>\\.</x>']), {
    noBtree: true,
  }),
  simple('tsvector', (r) => r.pick(['', 'a fat cat', "'quote''s':1A 'x':2B,3", 'a:1 b:2'])),
  simple('tsquery', (r) => r.pick(['a & b', '!a | (b <-> c)', "'x':*"])),
  simple('money', (r) => `${int(r, -100000, 100000)}.${String(r.int(0, 99)).padStart(2, '0')}`),
  simple('bit(8)', (r) => r.int(0, 255).toString(2).padStart(8, '0'), { narrow: true }),
  simple('bit varying(20)', (r) => r.int(0, 100000).toString(2)),
  simple('point', (r) => `(${int(r)},${r.float()})`),
  simple('line', () => '{1,-1,0}'),
  simple('lseg', (r) => `[(0,0),(${int(r)},1)]`),
  simple('box', (r) => `(${int(r)},${int(r)}),(0,0)`),
  simple('path', (r) => r.pick(['[(0,0),(1,1),(2,0)]', '((0,0),(1,1))'])),
  simple('polygon', () => '((0,0),(1,1),(1,0))'),
  simple('circle', (r) => `<(${int(r)},0),${r.int(0, 10)}>`),
  simple('inet', (r) => r.pick(['127.0.0.1', '10.0.0.0/8', '::1', '2001:db8::ff00:42:8329/64'])),
  simple('cidr', (r) => r.pick(['10.0.0.0/8', '2001:db8::/32'])),
  simple('macaddr', () => '08:00:2b:01:02:03'),
  simple('macaddr8', () => '08:00:2b:01:02:03:04:05'),
  simple('int4range', (r) => r.pick(['empty', '[1,10)', '(,5]', `[${int(r, 0, 50)},${int(r, 51, 99)})`])),
  simple('int8range', () => '[1,9223372036854775806)'),
  simple('numrange', () => '[1.5,2.5]'),
  simple('tsrange', () => '["2020-01-01 00:00","2020-01-02 00:00")'),
  simple('tstzrange', () => '[2020-01-01 00:00+00,)'),
  simple('daterange', () => '[2020-01-01,infinity)'),
  simple('int4multirange', () => '{[1,3), [5,9)}', { minMajor: 14 }),
  simple('nummultirange', () => '{}', { minMajor: 14 }),
  simple('datemultirange', () => '{[2020-01-01,2020-02-01)}', { minMajor: 14 }),
  simple('integer[]', (r) => r.pick(['{}', '{1,NULL,3}', '{{1,2},{3,4}}', '[0:1]={7,8}'])),
  {
    sql: 'text[]',
    value: ({ random, latin1 }) =>
      `ARRAY[${literal(textValue(random, latin1))}, NULL, ${literal(textValue(random, latin1))}]::text[]`,
  },
  simple('jsonb[]', () => '{"{\\"a\\": 1}",null}'),
  simple('pg_lsn', (r) => `${r.int(0, 255).toString(16)}/${r.int(0, 65535).toString(16)}`),
  simple('oid', (r) => String(r.int(0, 4294967295))),
  simple('jsonpath', () => '$.a[*] ? (@ > 1)'),
  simple('pg_snapshot', () => '10:20:10,14,15', { minMajor: 13 }),
  simple('citext', (r) => r.pick(['Case', 'cAsE', '']), { extension: 'citext' }),
  simple('hstore', (r) => r.pick(['', 'a=>1, "b c"=>NULL', '"k\\"q"=>"v\\\\"']), { extension: 'hstore' }),
  simple('ltree', (r) => r.pick(['', 'top', 'top.mid.leaf']), { extension: 'ltree' }),
];

/** No btree operator class: never under a plain index or extended statistics. */
const NO_BTREE = new Set(['point', 'line', 'lseg', 'box', 'path', 'polygon', 'circle', 'json', 'xml', 'jsonpath']);
for (const type of BUILTIN_TYPES) if (NO_BTREE.has(type.sql)) type.noBtree = true;

export function typesFor(major: number, extensions: Set<string>): ColumnType[] {
  return BUILTIN_TYPES.filter((t) => (t.minMajor ?? 0) <= major && (!t.extension || extensions.has(t.extension)));
}
