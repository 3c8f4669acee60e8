import type { Random } from '../random';
import { NameMaker } from './names';
import type { ColumnType } from './types';

/** One generated statement group, run on its own: a group the server rejects is left out with what needs it. */
export interface Unit {
  label: string;
  sql: string;
}

export interface TableInfo {
  /** Quoted, schema-qualified. */
  name: string;
  columns: { name: string; type: ColumnType }[];
  /** Has an integer `id` 1..rows as primary key. */
  hasId: boolean;
  rows: number;
}

/** Roles every fuzz server has (made on the source and the target alike, as `pg_dumpall --globals-only` would). */
export const FUZZ_ROLES = ['fuzz_reader', 'Fuzz Role "ü"', 'fuzz_owner'];

export class GenerationContext {
  readonly units: Unit[] = [];
  readonly names: NameMaker;
  readonly schemas: string[] = ['public'];
  readonly extensions = new Set<string>();
  /** User-defined types usable as columns (enums, composites, domains, ranges). */
  readonly userTypes: ColumnType[] = [];
  readonly tables: TableInfo[] = [];
  readonly functions: string[] = [];

  constructor(
    readonly random: Random,
    readonly major: number,
    readonly latin1: boolean,
  ) {
    this.names = new NameMaker(random, latin1);
  }

  add(label: string, sql: string): void {
    this.units.push({ label, sql });
  }

  schema(): string {
    return this.random.pick(this.schemas);
  }

  /** Role names live in a shared catalog, in UTF-8: a LATIN1 database cannot name the non-ASCII one. */
  role(): string {
    return this.random.pick(FUZZ_ROLES.filter((role) => !this.latin1 || /^[\x20-\x7e]*$/.test(role)));
  }
}
