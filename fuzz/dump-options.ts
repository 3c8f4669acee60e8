import type { Random } from './random';

/** One pg_dump option set: fragments and the majors of pg_dump that have them. */
interface Fragment {
  args: (random: Random, tables: string[]) => string[];
  minMajor?: number;
  /** Fragments it cannot be combined with (pg_dump refuses the pair, or one makes the other moot). */
  group: string;
  conflicts?: string[];
  /** Needs one of these groups beside it. */
  needs?: string[];
}

const fixed =
  (...args: string[]) =>
  () =>
    args;

const FRAGMENTS: Fragment[] = [
  { group: 'inserts', args: fixed('--inserts') },
  { group: 'inserts', args: fixed('--column-inserts') },
  { group: 'inserts', args: (r) => [`--rows-per-insert=${r.pick([1, 2, 7, 100])}`], minMajor: 12 },
  { group: 'on-conflict', args: fixed('--on-conflict-do-nothing'), needs: ['inserts'], conflicts: ['schema-only'] },
  { group: 'quote-all', args: fixed('--quote-all-identifiers') },
  { group: 'no-owner', args: fixed('--no-owner') },
  { group: 'no-privileges', args: fixed('--no-privileges') },
  { group: 'no-comments', args: fixed('--no-comments') },
  { group: 'create', args: fixed('--create'), conflicts: ['data-only'] },
  { group: 'clean', args: fixed('--clean', '--if-exists'), conflicts: ['data-only'] },
  { group: 'data-only', args: fixed('--data-only'), conflicts: ['schema-only', 'create', 'clean'] },
  { group: 'schema-only', args: fixed('--schema-only'), conflicts: ['data-only', 'inserts', 'exclude-data'] },
  { group: 'partition-root', args: fixed('--load-via-partition-root') },
  { group: 'dollar', args: fixed('--disable-dollar-quoting') },
  { group: 'row-security', args: fixed('--enable-row-security') },
  {
    group: 'exclude-data',
    args: (r, tables) => (tables.length > 0 ? [`--exclude-table-data=${r.pick(tables)}`] : []),
    conflicts: ['schema-only'],
  },
  { group: 'float', args: fixed('--extra-float-digits=0'), minMajor: 12 },
  { group: 'large-objects', args: fixed('--no-blobs') },
  { group: 'statistics', args: fixed('--statistics'), minMajor: 18, conflicts: ['schema-only', 'data-only'] },
  { group: 'sequence-data', args: fixed('--sequence-data'), minMajor: 18 },
];

/** Every option a pg_dump of `major` has, as a fragment list: what `option_sets` is counted from. */
export function fragmentsFor(major: number): Fragment[] {
  return FRAGMENTS.filter((f) => (f.minMajor ?? 0) <= major);
}

/**
 * A random option set for pg_dump of `major`: a third of the time the default, else one to three fragments
 * that pg_dump accepts together. `tables` are patterns for --exclude-table-data (quoted, so `.` and `*` in
 * names are literal).
 */
export function chooseDumpOptions(random: Random, major: number, tables: string[]): string[] {
  if (random.chance(0.2)) return [];
  const available = fragmentsFor(major);
  for (;;) {
    const chosen: Fragment[] = [];
    for (const fragment of random.shuffle(available).slice(0, random.int(1, 3))) {
      const clash = chosen.some(
        (c) =>
          c.group === fragment.group || c.conflicts?.includes(fragment.group) || fragment.conflicts?.includes(c.group),
      );
      if (!clash) chosen.push(fragment);
    }
    if (chosen.some((f) => f.needs && !f.needs.some((g) => chosen.some((c) => c.group === g)))) continue;
    const args = chosen.flatMap((f) => f.args(random, tables));
    if (args.length > 0) return args.sort();
  }
}

/** The option set without its random parts (row counts, table names): how option sets are counted. */
export function optionSetKey(args: string[]): string {
  if (args.length === 0) return '(default)';
  return args.map((a) => a.replace(/=.*$/, '')).join(' ');
}
