import type { Random } from '../random';
import { GenerationContext, type Unit } from './context';
import { ident, literal } from './names';
import {
  addCollationsAndSearch,
  addExtensions,
  addLargeObjects,
  addSchemas,
  addSequences,
  addUserTypes,
} from './schema-objects';
import { addAggregatesAndOperators, addFunctions, addPublications, addTriggers, addViews } from './routines';
import { addExclusionTable, addForeignKeys, addInheritance, addPartitionedTable, addPlainTable } from './tables';

export interface GeneratedDatabase {
  name: string;
  latin1: boolean;
  /** Run on the server's maintenance database. */
  create: string;
  /** Run inside the new database, each on its own; a unit the server rejects is skipped. */
  units: Unit[];
  /** Quoted qualified names of its tables: patterns for --exclude-table-data. */
  tables: string[];
}

/**
 * A random database for a server of `major`: only what exists there. About one in seven is LATIN1, whose names and
 * values stay inside Latin-1.
 */
export function generateDatabase(random: Random, major: number, label: string): GeneratedDatabase {
  const latin1 = random.chance(0.15);
  // Database names live in a shared catalog too: the LATIN1 one keeps to ASCII.
  const name = random.chance(0.3) ? `fuzz ${label} "db"${latin1 ? '' : ' ü'}` : `fuzz_${label}`;
  const ctx = new GenerationContext(random, major, latin1);
  addSchemas(ctx);
  addExtensions(ctx);
  addUserTypes(ctx);
  addCollationsAndSearch(ctx);
  addSequences(ctx);
  for (let i = random.int(1, 5); i > 0; i--) addPlainTable(ctx);
  if (random.chance(0.3)) addExclusionTable(ctx);
  if (random.chance(0.5)) addPartitionedTable(ctx);
  if (random.chance(0.3)) addInheritance(ctx);
  addForeignKeys(ctx);
  addFunctions(ctx);
  addAggregatesAndOperators(ctx);
  addTriggers(ctx);
  addViews(ctx);
  addPublications(ctx);
  addLargeObjects(ctx);
  if (random.chance(0.3)) {
    ctx.add('default privileges', `ALTER DEFAULT PRIVILEGES GRANT SELECT ON TABLES TO ${ident(ctx.role())}`);
  }
  if (random.chance(0.3)) {
    ctx.add('database comment', `COMMENT ON DATABASE ${ident(name)} IS ${literal('the "db"; \\. ü')}`);
  }
  if (random.chance(0.2)) ctx.add('database setting', `ALTER DATABASE ${ident(name)} SET work_mem = '5MB'`);
  const encoding = latin1 ? "ENCODING 'LATIN1' LC_COLLATE 'C' LC_CTYPE 'C' TEMPLATE template0" : '';
  return {
    name,
    latin1,
    create: `CREATE DATABASE ${ident(name)} ${encoding}`,
    units: ctx.units,
    tables: ctx.tables.map((t) => t.name),
  };
}
