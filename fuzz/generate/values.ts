import type { Random } from '../random';

/**
 * Text values that have broken dump readers: empty, tabs, CR and LF, backslashes, `\.` alone on a line (COPY's end
 * marker), `\N` (COPY's NULL), quotes, dollar quotes, comment starters, non-BMP characters (not in LATIN1).
 */
const TRICKY = [
  '',
  ' ',
  'plain',
  'tab\there',
  'new\nline',
  'cr\r\nlf',
  'back\\slash',
  '\\.',
  'before\n\\.\nafter',
  '\\N',
  'NULL',
  "quote's",
  '"double"',
  '$$ dollar $tag$',
  '-- not a comment',
  '/* not a comment */',
  'semi; colon',
  '\\\\double backslash\\',
  'ünïcödé Zähler',
  '\u00a0nbsp',
  'trailing backslash\\',
  '\\x41\\101',
  "E'x'",
  '\\restrict fake',
  '\\! echo pwned',
];
const UTF8_ONLY = ['emoji 😀 clef 𝄞', '表格 Ωμέγα кириллица', '\u2028line separator', 'zero\u200bwidth'];

export function textValue(random: Random, latin1: boolean): string {
  if (random.chance(0.05)) return 'long '.repeat(random.int(100, 600));
  const pool = latin1 ? TRICKY : [...TRICKY, ...UTF8_ONLY];
  const parts = random.int(1, 2);
  let text = '';
  for (let i = 0; i < parts; i++) text += random.pick(pool);
  return text;
}

export function byteaHex(random: Random): string {
  const length = random.pick([0, 1, 3, 16, 200]);
  const bytes = Buffer.alloc(length);
  for (let i = 0; i < length; i++) bytes[i] = random.pick([0, 0x5c, 0x0a, 0x09, 0x27, 0xff, random.int(0, 255)]);
  return `\\x${bytes.toString('hex')}`;
}
