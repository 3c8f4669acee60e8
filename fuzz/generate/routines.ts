import { ident, literal, qualified } from './names';
import type { GenerationContext } from './context';
import { comment } from './schema-objects';

/** SQL and PL/pgSQL functions with nested dollar quotes and tricky bodies, procedures, BEGIN ATOMIC (14+). */
export function addFunctions(ctx: GenerationContext): void {
  const r = ctx.random;
  const fn = () => qualified(ctx.schema(), ctx.names.next('function'));
  const sqlFunction = fn();
  ctx.add(
    'sql function',
    `CREATE FUNCTION ${sqlFunction}(a integer DEFAULT 1, "b c" text DEFAULT 'x;y''z') RETURNS text
       LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$ SELECT "b c" || a::text || ' $x$ \\. -- ; ' $$`,
  );
  ctx.functions.push(sqlFunction);
  const nested = fn();
  ctx.add(
    'plpgsql nested dollar quotes',
    `CREATE FUNCTION ${nested}() RETURNS text LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog AS $outer$
DECLARE
  q text := $q$it's ; $$ \\.
\\.
$q$;
  r text;
BEGIN
  EXECUTE $e$SELECT $i$inner$i$ || '\\'$e$ INTO r;
  /* a comment with $$ and ' */
  RETURN q || r; -- $outer is not the end
END
$outer$`,
  );
  ctx.functions.push(nested);
  if (r.chance(0.5)) {
    ctx.add(
      'set-returning function',
      `CREATE FUNCTION ${fn()}(n integer) RETURNS TABLE ("out col" integer, "Out" text) LANGUAGE sql STABLE ROWS 5 AS
       'SELECT g, repeat(''\\'', g) FROM generate_series(1, n) g'`,
    );
  }
  if (ctx.major >= 14 && r.chance(0.6)) {
    ctx.add(
      'begin atomic function',
      `CREATE FUNCTION ${fn()}(a integer) RETURNS integer LANGUAGE sql BEGIN ATOMIC SELECT a * 2 WHERE ';' <> '$$'; END`,
    );
  }
  if (r.chance(0.6)) {
    ctx.add(
      'procedure',
      `CREATE PROCEDURE ${qualified(ctx.schema(), ctx.names.next('procedure'))}(INOUT x integer, y text DEFAULT $d$ ' $d$)
       LANGUAGE plpgsql AS $$ BEGIN x := x + 1; RAISE NOTICE '%', y; END $$`,
    );
  }
  if (r.chance(0.3))
    ctx.add('function comment', `COMMENT ON FUNCTION ${sqlFunction}(integer, text) IS ${comment(ctx)}`);
  if (r.chance(0.3)) {
    ctx.add(
      'function grant',
      `REVOKE EXECUTE ON FUNCTION ${nested}() FROM PUBLIC; GRANT EXECUTE ON FUNCTION ${nested}() TO ${ident(ctx.role())}`,
    );
  }
}

/** An aggregate and an operator (with a commutator), each in a random schema. */
export function addAggregatesAndOperators(ctx: GenerationContext): void {
  const r = ctx.random;
  if (r.chance(0.5)) {
    const name = qualified(ctx.schema(), ctx.names.next('aggregate'));
    ctx.add('aggregate', `CREATE AGGREGATE ${name}(integer) (SFUNC = int4pl, STYPE = integer, INITCOND = '0')`);
  }
  if (r.chance(0.5)) {
    const schema = ident(ctx.schema());
    const symbol = r.pick(['===', '<~>', '@@@', '!#!', '&<|']);
    ctx.add(
      'operator',
      `CREATE OPERATOR ${schema}.${symbol} (LEFTARG = integer, RIGHTARG = integer, FUNCTION = int4eq,
         COMMUTATOR = OPERATOR(${schema}.${symbol}), RESTRICT = eqsel, JOIN = eqjoinsel)`,
    );
  }
}

/** Row and statement triggers (transition tables, WHEN, disabled), constraint triggers. */
export function addTriggers(ctx: GenerationContext): void {
  const r = ctx.random;
  const tables = ctx.tables.filter((t) => t.hasId);
  if (tables.length === 0 || !r.chance(0.6)) return;
  const fn = qualified(ctx.schema(), ctx.names.next('trigger_fn'));
  ctx.add(
    'trigger function',
    `CREATE FUNCTION ${fn}() RETURNS trigger LANGUAGE plpgsql AS $t$ BEGIN IF TG_OP = 'DELETE' THEN RETURN OLD; END IF; RETURN NEW; END $t$`,
  );
  const table = r.pick(tables).name;
  const trigger = ident(ctx.names.next('trigger'));
  const kind = r.pick(['row', 'when', 'statement', 'constraint']);
  const sql = {
    row: `CREATE TRIGGER ${trigger} BEFORE INSERT OR UPDATE ON ${table} FOR EACH ROW EXECUTE PROCEDURE ${fn}()`,
    when: `CREATE TRIGGER ${trigger} AFTER UPDATE ON ${table} FOR EACH ROW WHEN (OLD.* IS DISTINCT FROM NEW.*) EXECUTE PROCEDURE ${fn}()`,
    statement: `CREATE TRIGGER ${trigger} AFTER INSERT ON ${table} REFERENCING NEW TABLE AS "new rows" FOR EACH STATEMENT EXECUTE PROCEDURE ${fn}()`,
    constraint: `CREATE CONSTRAINT TRIGGER ${trigger} AFTER INSERT ON ${table} DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE PROCEDURE ${fn}()`,
  }[kind]!;
  ctx.add('trigger', sql);
  if (r.chance(0.3)) ctx.add('disabled trigger', `ALTER TABLE ${table} DISABLE TRIGGER ${trigger}`);
}

/** Views (with check option, recursive), materialized views with and without data, a rule on a view. */
export function addViews(ctx: GenerationContext): void {
  const r = ctx.random;
  for (const table of r.some(ctx.tables, 3)) {
    const view = qualified(ctx.schema(), ctx.names.next('view'));
    const where = table.hasId ? ' WHERE "id" > 0' : '';
    const check = table.hasId && r.chance(0.3) ? ' WITH CASCADED CHECK OPTION' : '';
    ctx.add('view', `CREATE VIEW ${view} AS SELECT *, 'const;''\\' AS "weird col" FROM ${table.name}${where}${check}`);
    if (table.hasId && r.chance(0.3)) {
      ctx.add(
        'view rule',
        `CREATE RULE ${ident(ctx.names.next('rule'))} AS ON DELETE TO ${view} DO INSTEAD DELETE FROM ${table.name} WHERE "id" = OLD."id"`,
      );
    }
    if (r.chance(0.5)) {
      const mv = qualified(ctx.schema(), ctx.names.next('matview'));
      const data = r.chance(0.3) ? 'WITH NO DATA' : 'WITH DATA';
      ctx.add(
        'materialized view',
        `CREATE MATERIALIZED VIEW ${mv} AS SELECT count(*) AS "n", ${literal('x\ty')} AS "t" FROM ${table.name} ${data}`,
      );
    }
  }
  if (r.chance(0.3)) {
    const name = ctx.names.next('recursive');
    ctx.add(
      'recursive view',
      `CREATE RECURSIVE VIEW ${ident(ctx.schema())}.${ident(name)} ("n") AS VALUES (1) UNION ALL SELECT "n" + 1 FROM ${ident(name)} WHERE "n" < 5`,
    );
  }
}

/** Publications of some tables (FOR ALL TABLES and FOR TABLES IN SCHEMA need a superuser to restore). */
export function addPublications(ctx: GenerationContext): void {
  const tables = ctx.tables.filter((t) => t.hasId);
  if (tables.length === 0 || !ctx.random.chance(0.3)) return;
  const chosen = ctx.random.some(tables, 2);
  if (chosen.length === 0) return;
  const filter = ctx.major >= 15 && ctx.random.chance(0.5) ? ' WHERE ("id" > 1)' : '';
  const list = chosen.map((t, i) => `${t.name}${i === 0 ? filter : ''}`).join(', ');
  ctx.add(
    'publication',
    `CREATE PUBLICATION ${ident(ctx.names.next('publication'))} FOR TABLE ${list} WITH (publish = 'insert, update')`,
  );
}
