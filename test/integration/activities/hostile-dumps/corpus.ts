import { readFile, writeFile } from 'node:fs/promises';
import { gunzipSync, gzipSync } from 'node:zlib';

/**
 * Issue 8: hostile dumps. Each one is a REAL pg_dump output with one trick injected where an attacker who can
 * write the backup directory would put it: inside the pre-data (after the first CREATE TABLE), right after a
 * COPY block's `\.`, or in the middle of the dump between two of pg_dump's TOC entries.
 */

/** Names on the target server that a trick aims at. */
export interface TrickTarget {
  /** The service's role (a superuser on the test servers, as in the sandbox). */
  serviceUser: string;
  /** Another database on the same server that the dump must never reach. */
  otherDatabase: string;
  /** An existing login role of the server. */
  canaryRole: string;
  /** A table of the dump (schema-qualified), to COPY from or to. */
  table: string;
}

/** Every file a trick would write starts so: the tests look for it in the target's /tmp. */
export const PWNED_PREFIX = '/tmp/pwned-';

export type Anchor = 'pre-data' | 'after-copy' | 'middle';

/**
 * What the dump reader must do with the trick:
 *  - refuse: BackupUnsafe at the line `at` (index into `lines`), naming `command`;
 *  - unseen: the reader cannot see it (it is data to the reader): confinement must stop it at `at`;
 *  - verify-gap: verifyBackup (no server at hand) lets it pass, restoreBackup (knowing the superusers) refuses;
 *  - left-out: the reader takes it for something pg_dump writes and the product replaces: psql never reads it.
 */
export interface Trick {
  id: string;
  title: string;
  anchor: Anchor;
  lines: string[];
  expect: 'refuse' | 'unseen' | 'verify-gap' | 'left-out';
  at: number;
  /** Text the refusal's command (after `REASON: `) contains. */
  command: string;
  /** The refusal's reason. */
  reason: RegExp;
}

export function tricks(t: TrickTarget): Trick[] {
  const list: Omit<Trick, 'id'>[] = [
    {
      title: '\\! at the start of a line',
      anchor: 'middle',
      lines: [`\\! touch {PWNED}`],
      expect: 'refuse',
      at: 0,
      command: `\\! touch {PWNED}`,
      reason: /a psql meta-command/,
    },
    {
      title: '\\! after a leading space',
      anchor: 'after-copy',
      lines: [` \\! touch {PWNED}`],
      expect: 'refuse',
      at: 0,
      command: `\\! touch {PWNED}`,
      reason: /a psql meta-command/,
    },
    {
      title: '\\! after SQL on the same line',
      anchor: 'pre-data',
      lines: [`SELECT 1; \\! touch {PWNED}`],
      expect: 'refuse',
      at: 0,
      command: `\\! touch {PWNED}`,
      reason: /a psql meta-command/,
    },
    {
      title: '\\o |command (output to a pipe)',
      anchor: 'middle',
      lines: [`\\o |touch {PWNED}`, 'SELECT 1;', '\\o'],
      expect: 'refuse',
      at: 0,
      command: `\\o |touch {PWNED}`,
      reason: /a psql meta-command/,
    },
    {
      title: '\\copy ... to program',
      anchor: 'after-copy',
      lines: [`\\copy ${t.table} to program 'touch {PWNED}'`],
      expect: 'refuse',
      at: 0,
      command: `\\copy ${t.table} to program`,
      reason: /a psql meta-command/,
    },
    {
      title: '\\set (turns ON_ERROR_STOP off)',
      anchor: 'pre-data',
      lines: ['\\set ON_ERROR_STOP 0'],
      expect: 'refuse',
      at: 0,
      command: '\\set ON_ERROR_STOP 0',
      reason: /a psql meta-command/,
    },
    {
      title: '\\i /etc/passwd',
      anchor: 'middle',
      lines: ['\\i /etc/passwd'],
      expect: 'refuse',
      at: 0,
      command: '\\i /etc/passwd',
      reason: /a psql meta-command/,
    },
    {
      title: '\\c postgres, then writes in the maintenance database',
      anchor: 'after-copy',
      lines: ['\\c postgres', 'CREATE TABLE public.pwned_maintenance (id int);', `\\c ${t.otherDatabase}`],
      expect: 'refuse',
      at: 0,
      command: '\\c postgres',
      reason: /a psql \\connect to another database/,
    },
    {
      title: '\\connect to another database, then deletes there',
      anchor: 'middle',
      lines: [`\\connect ${t.otherDatabase}`, 'CREATE TABLE public.pwned_other (id int);'],
      expect: 'refuse',
      at: 0,
      command: `\\connect ${t.otherDatabase}`,
      reason: /a psql \\connect to another database/,
    },
    {
      title: 'COPY ... TO PROGRAM',
      anchor: 'after-copy',
      lines: [`COPY ${t.table} TO PROGRAM 'touch {PWNED}';`],
      expect: 'refuse',
      at: 0,
      command: `COPY ${t.table} TO PROGRAM`,
      reason: /COPY \.\.\. PROGRAM runs a shell command/,
    },
    {
      title: 'COPY ... FROM PROGRAM',
      anchor: 'pre-data',
      lines: [
        'CREATE TABLE public.pwned_program (line text);',
        `COPY public.pwned_program FROM PROGRAM 'touch {PWNED}; id';`,
      ],
      expect: 'refuse',
      at: 1,
      command: 'COPY public.pwned_program FROM PROGRAM',
      reason: /COPY \.\.\. PROGRAM runs a shell command/,
    },
    {
      title: "COPY ... FROM '/etc/passwd' (a server file)",
      anchor: 'middle',
      lines: ['CREATE TABLE public.pwned_passwd (line text);', "COPY public.pwned_passwd FROM '/etc/passwd';"],
      expect: 'refuse',
      at: 1,
      command: 'COPY public.pwned_passwd FROM',
      reason: /COPY other than "COPY table FROM stdin"/,
    },
    {
      title: 'DROP DATABASE of another database',
      anchor: 'after-copy',
      lines: [`DROP DATABASE ${t.otherDatabase};`],
      expect: 'refuse',
      // Past the prologue a DROP DATABASE can only be another database's (a --clean --create dump's comes first).
      at: 0,
      command: `DROP DATABASE ${t.otherDatabase}`,
      reason: new RegExp(`DROP DATABASE ${t.otherDatabase}`),
    },
    {
      title: 'ALTER DATABASE of another database',
      anchor: 'pre-data',
      lines: [`ALTER DATABASE ${t.otherDatabase} CONNECTION LIMIT 0;`],
      expect: 'refuse',
      at: 0,
      command: `ALTER DATABASE ${t.otherDatabase}`,
      reason: new RegExp(`ALTER DATABASE of another database \\(${t.otherDatabase}\\)`),
    },
    {
      title: 'CREATE DATABASE pwned',
      anchor: 'middle',
      lines: ['CREATE DATABASE pwned;'],
      // Only a --create dump's prologue may create (and then be restored instead of) its own database.
      expect: 'refuse',
      at: 0,
      command: 'CREATE DATABASE pwned',
      reason: /CREATE DATABASE pwned after the dump's first objects/i,
    },
    {
      title: 'ALTER SYSTEM SET',
      anchor: 'after-copy',
      lines: ["ALTER SYSTEM SET archive_command = 'touch {PWNED}';"],
      expect: 'refuse',
      at: 0,
      command: 'ALTER SYSTEM SET archive_command',
      reason: /ALTER SYSTEM acts on the whole server/,
    },
    {
      title: 'CREATE ROLE evil SUPERUSER LOGIN',
      anchor: 'pre-data',
      lines: ["CREATE ROLE evil SUPERUSER LOGIN PASSWORD 'evil';"],
      expect: 'refuse',
      at: 0,
      command: 'CREATE ROLE evil SUPERUSER LOGIN',
      reason: /CREATE ROLE acts on the whole server/,
    },
    {
      title: `ALTER ROLE ${t.serviceUser} PASSWORD (the service's role)`,
      anchor: 'middle',
      lines: [`ALTER ROLE ${t.serviceUser} PASSWORD 'x';`],
      expect: 'refuse',
      at: 0,
      command: `ALTER ROLE ${t.serviceUser} PASSWORD`,
      reason: /ALTER ROLE changes a role of the whole server/,
    },
    {
      title: 'SET ROLE postgres, then CREATE ROLE',
      anchor: 'after-copy',
      lines: ['SET ROLE postgres;', 'CREATE ROLE evil_via_set_role SUPERUSER LOGIN;'],
      expect: 'refuse',
      at: 0,
      command: 'SET ROLE postgres',
      reason: /SET ROLE to the superuser postgres/,
    },
    {
      title: 'SET SESSION AUTHORIZATION postgres, then ALTER ROLE',
      anchor: 'pre-data',
      lines: ['SET SESSION AUTHORIZATION postgres;', `ALTER ROLE ${t.canaryRole} SUPERUSER;`],
      expect: 'refuse',
      at: 0,
      command: 'SET SESSION AUTHORIZATION postgres',
      reason: /SET SESSION AUTHORIZATION to the superuser postgres/,
    },
    {
      title: `SET ROLE ${t.serviceUser} (a superuser not named postgres)`,
      anchor: 'middle',
      lines: [`SET ROLE ${t.serviceUser};`],
      // verifyBackup asks the server who its superusers are, as the restore does.
      expect: 'refuse',
      at: 0,
      command: `SET ROLE ${t.serviceUser}`,
      reason: new RegExp(`SET ROLE to the superuser ${t.serviceUser}`),
    },
    {
      title: "SELECT lo_import('/etc/passwd')",
      anchor: 'after-copy',
      lines: ["SELECT pg_catalog.lo_import('/etc/passwd');"],
      expect: 'refuse',
      at: 0,
      command: 'lo_import(',
      reason: /a server function that reaches outside the database/,
    },
    {
      title: "SELECT lo_export(..., '/tmp/pwned')",
      anchor: 'middle',
      lines: [`SELECT pg_catalog.lo_export(pg_catalog.lo_from_bytea(0, '\\x41'::bytea), '{PWNED}');`],
      expect: 'refuse',
      at: 0,
      command: 'lo_export(',
      reason: /a server function that reaches outside the database/,
    },
    {
      title: "pg_read_file('/etc/passwd') into a table",
      anchor: 'pre-data',
      lines: ["CREATE TABLE public.pwned_file AS SELECT pg_catalog.pg_read_file('/etc/passwd') AS content;"],
      expect: 'refuse',
      at: 0,
      command: 'pg_read_file(',
      reason: /a server function that reaches outside the database/,
    },
    {
      title: 'DO block: pg_read_file by EXECUTE of a concatenated string',
      anchor: 'middle',
      lines: [
        'DO $pwn$',
        'BEGIN',
        "  EXECUTE 'CREATE TABLE public.pwned_do AS SELECT pg_' || 'read_file(''/etc/passwd'') AS content';",
        'END',
        '$pwn$;',
      ],
      expect: 'refuse',
      at: 0,
      command: 'DO',
      reason: /a statement pg_dump never writes/,
    },
    {
      title: 'function + CREATE TABLE AS: pg_read_file by EXECUTE of a concatenated string',
      anchor: 'pre-data',
      lines: [
        'CREATE FUNCTION public.pwned_reader() RETURNS text LANGUAGE plpgsql AS $pwn$',
        'DECLARE r text;',
        "BEGIN EXECUTE 'SELECT pg_' || 'read_file(''/etc/passwd'')' INTO r; RETURN r; END",
        '$pwn$;',
        'CREATE TABLE public.pwned_exec AS SELECT public.pwned_reader() AS content;',
      ],
      expect: 'unseen',
      at: 4,
      command: 'CREATE TABLE public.pwned_exec',
      reason: /permission denied for function pg_read_file/,
    },
    {
      title: 'CREATE EXTENSION dblink + dblink_connect',
      anchor: 'after-copy',
      lines: [
        'CREATE EXTENSION IF NOT EXISTS dblink WITH SCHEMA public;',
        `SELECT public.dblink_connect('pwn', 'dbname=${t.otherDatabase}');`,
        "SELECT public.dblink_exec('pwn', 'CREATE TABLE public.pwned_dblink (id int)');",
      ],
      expect: 'refuse',
      at: 0,
      command: 'CREATE EXTENSION IF NOT EXISTS dblink',
      reason: /CREATE EXTENSION dblink reaches other databases/,
    },
    {
      title: `GRANT pg_execute_server_program TO ${t.canaryRole}`,
      anchor: 'middle',
      lines: [`GRANT pg_execute_server_program TO ${t.canaryRole};`],
      expect: 'refuse',
      at: 0,
      command: 'GRANT pg_execute_server_program',
      reason: /GRANT of role membership/,
    },
    {
      title: 'dollar-quoted "COPY t FROM stdin;" then a meta-command (the old line scanner took it for COPY data)',
      anchor: 'middle',
      lines: [
        'CREATE FUNCTION public.pwned_dollar() RETURNS void LANGUAGE sql AS $body$',
        `COPY ${t.table} FROM stdin;`,
        '$body$;',
        `\\! touch {PWNED}`,
        '\\.',
      ],
      expect: 'refuse',
      at: 3,
      command: `\\! touch {PWNED}`,
      reason: /a psql meta-command/,
    },
    {
      title: 'standard_conforming_strings: psql and a naive reader disagree where a string ends, hiding \\!',
      anchor: 'after-copy',
      lines: [
        'SET standard_conforming_strings = off;',
        "SELECT pg_catalog.set_config('standard_conforming_strings', 'on', false);",
        `SELECT 'x\\'; \\! touch {PWNED} #';`,
      ],
      expect: 'refuse',
      at: 1,
      command: "set_config('standard_conforming_strings'",
      reason: /a server function that reaches outside the database or the session/,
    },
    {
      title: ':VERSION psql variable',
      anchor: 'pre-data',
      lines: ['CREATE TABLE public.pwned_variable AS SELECT :VERSION AS v;'],
      expect: 'refuse',
      at: 0,
      command: ':VERSION',
      reason: /a psql variable/,
    },
  ];
  return list.map((trick, i) => {
    const id = String(i + 1).padStart(2, '0');
    const pwned = (text: string) => text.replace(/\{PWNED\}/g, `${PWNED_PREFIX}${id}`);
    return { ...trick, id, lines: trick.lines.map(pwned), command: pwned(trick.command) };
  });
}

/** Where in a real pg_dump output (as lines) a trick goes: the index of the line it is inserted before. */
export function anchorIndex(lines: string[], anchor: Anchor): number {
  if (anchor === 'pre-data') {
    const create = lines.findIndex((l) => l.startsWith('CREATE TABLE '));
    const end = lines.findIndex((l, i) => i >= create && l.endsWith(';'));
    if (create < 0 || end < 0) throw new Error('dump has no CREATE TABLE');
    return end + 1;
  }
  if (anchor === 'after-copy') {
    const end = lines.indexOf('\\.');
    if (end < 0) throw new Error('dump has no COPY block');
    return end + 1;
  }
  // Between two TOC entries (a blank line followed by pg_dump's `--` header), outside COPY data, past the middle.
  let inCopy = false;
  for (let i = 0; i < lines.length - 1; i++) {
    if (inCopy) {
      if (lines[i] === '\\.') inCopy = false;
      continue;
    }
    if (/^COPY .* FROM stdin;$/.test(lines[i])) inCopy = true;
    else if (i >= lines.length / 2 && lines[i] === '' && lines[i + 1] === '--') return i + 1;
  }
  throw new Error('dump has no TOC entry past its middle');
}

export interface CraftedDump {
  trick: Trick;
  text: string;
  /** 1-based line of the file where the trick's line `at` is. */
  line: number;
}

/** The real dump with the trick's lines inserted (after a blank line) at its anchor. */
export function craft(dump: string, trick: Trick): CraftedDump {
  const lines = dump.split('\n');
  const at = anchorIndex(lines, trick.anchor);
  const crafted = [...lines.slice(0, at), '', ...trick.lines, '', ...lines.slice(at)];
  // lines[at] becomes '' at index `at`, the trick starts at index at + 1, i.e. line at + 2.
  return { trick, text: crafted.join('\n'), line: at + 2 + trick.at };
}

export async function readDump(file: string): Promise<string> {
  return gunzipSync(await readFile(file)).toString('utf8');
}

export async function writeDump(file: string, text: string): Promise<void> {
  await writeFile(file, gzipSync(Buffer.from(text, 'utf8'), { level: 1 }));
}
