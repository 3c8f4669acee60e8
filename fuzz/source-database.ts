import { FUZZ_ROLES } from './generate/context';
import type { GeneratedDatabase } from './generate/database';
import { ident } from './generate/names';
import type { PostgresServer } from './server';

/** The roles dumps grant to and own by, on every server (a real restore brings them by `pg_dumpall -g`). */
export async function createFuzzRoles(server: PostgresServer): Promise<void> {
  for (const role of FUZZ_ROLES) await server.query('postgres', `CREATE ROLE ${ident(role)} NOLOGIN`);
}

export interface SeededDatabase {
  applied: number;
  /** Units the server rejected (a generator's guess that did not fit), with the server's reason. */
  skipped: { label: string; error: string }[];
}

/** Creates the generated database on the source server, unit by unit, each in its own transaction. */
export async function seedDatabase(server: PostgresServer, database: GeneratedDatabase): Promise<SeededDatabase> {
  await server.query('postgres', database.create);
  const client = server.client(database.name);
  await client.connect();
  const result: SeededDatabase = { applied: 0, skipped: [] };
  try {
    for (const unit of database.units) {
      try {
        await client.query(`BEGIN;\n${unit.sql};\nCOMMIT`);
        result.applied++;
      } catch (err) {
        await client.query('ROLLBACK').catch(() => undefined);
        result.skipped.push({ label: unit.label, error: (err as Error).message });
      }
    }
  } finally {
    await client.end();
  }
  return result;
}

export async function dropDatabase(server: PostgresServer, name: string): Promise<void> {
  await server.query('postgres', `DROP DATABASE IF EXISTS ${ident(name)} WITH (FORCE)`).catch(async () => {
    // WITH (FORCE) is 13+; on 12 nothing else is connected anyway.
    await server.query('postgres', `DROP DATABASE IF EXISTS ${ident(name)}`);
  });
}
