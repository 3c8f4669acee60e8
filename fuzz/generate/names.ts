import type { Random } from '../random';

/** Words PostgreSQL reserves (and some it only half reserves): each must be quoted everywhere it is a name. */
const RESERVED = ['select', 'table', 'user', 'order', 'from', 'group', 'check', 'default', 'end', 'limit', 'window'];
const UTF8_ONLY = ['表格', 'Ωμέγα', 'кириллица', '😀emoji', '𝄞clef'];
const LATIN1 = ['ünïcödé', 'Zähler', 'façade', 'smörgåsbord'];
const MAX_NAME_BYTES = 63;

function bytes(text: string): number {
  return Buffer.byteLength(text, 'utf8');
}

/**
 * Names as hostile as PostgreSQL allows: reserved words, mixed case, Unicode (Latin-1 only in a LATIN1 database),
 * exactly 63 bytes, quotes, dots, spaces, backslashes, comment and dollar-quote look-alikes, a newline. Unique in
 * the whole database, so any two objects can share a schema.
 */
export class NameMaker {
  private readonly used = new Set<string>();
  private counter = 0;

  constructor(
    private readonly random: Random,
    private readonly latin1: boolean,
  ) {}

  next(kind: string): string {
    for (;;) {
      const name = this.candidate(kind, ++this.counter);
      if (bytes(name) <= MAX_NAME_BYTES && !this.used.has(name)) {
        this.used.add(name);
        return name;
      }
    }
  }

  /** A plain lower-case name: where the object's name does not matter to the test. */
  plain(kind: string): string {
    const name = `${kind}_${++this.counter}`;
    this.used.add(name);
    return name;
  }

  private candidate(kind: string, n: number): string {
    const r = this.random;
    const unicode = this.latin1 ? LATIN1 : [...LATIN1, ...UTF8_ONLY];
    switch (r.int(0, 13)) {
      case 0:
        return r.pick(RESERVED) + (this.used.has(RESERVED[0]) ? `_${n}` : '');
      case 1:
        return `Mixed${kind[0].toUpperCase()}${kind.slice(1)}${n}`;
      case 2:
        return `${r.pick(unicode)} ${n}`;
      case 3:
        // In LATIN1 'ä' is one byte, two once restored into UTF-8: a 63-byte name would be cut and could collide.
        return this.longName(`${kind}${n}_`, this.latin1 ? 'x' : r.pick(['x', 'ä', '表']));
      case 4:
        return `${kind} "quoted" ${n}`;
      case 5:
        return `${kind}.dotted.${n}`;
      case 6:
        return `back\\slash\\${n}`;
      case 7:
        return `semi;colon -- not a comment /* ${n}`;
      case 8:
        return `dollar$$${n}$tag$`;
      case 9:
        return `it's ${kind} ${n}`;
      case 10:
        return r.chance(0.3) ? `new\nline ${n}` : `tab\there ${n}`;
      default:
        return `${kind}_${n}`;
    }
  }

  /** Exactly 63 bytes, the longest name PostgreSQL keeps whole. */
  private longName(prefix: string, filler: string): string {
    let name = prefix;
    while (bytes(name + filler) <= MAX_NAME_BYTES) name += filler;
    while (bytes(name) < MAX_NAME_BYTES) name += 'x';
    return name;
  }
}

/** Always quoted: the generated SQL never depends on which names need it. */
export function ident(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

export function qualified(schema: string, name: string): string {
  return `${ident(schema)}.${ident(name)}`;
}

/** A standard-conforming string literal (the source sessions keep standard_conforming_strings on). */
export function literal(text: string): string {
  return `'${text.replace(/'/g, "''")}'`;
}
