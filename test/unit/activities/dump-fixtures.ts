/** A small plain dump shaped like pg_dump 15's output, for parser and integrity tests without a server. */
export function syntheticDump(options: { usersRows?: number; complete?: boolean; owner?: string } = {}): string {
  const rows = options.usersRows ?? 3;
  const owner = options.owner ?? 'argus';
  const userLines = Array.from({ length: rows }, (_, i) => `${i + 1}\tuser${i + 1}\t\\N`);
  const lines = [
    '\\restrict AbCdEf123',
    '--',
    '-- PostgreSQL database dump',
    '--',
    '',
    '-- Dumped from database version 15.14 (Debian 15.14-1.pgdg120+1)',
    '-- Dumped by pg_dump version 15.18 (Debian 15.18-0+deb12u1)',
    '',
    'SET statement_timeout = 0;',
    'CREATE TABLE public.users (',
    '    id integer NOT NULL,',
    '    name text',
    ');',
    `ALTER TABLE public.users OWNER TO ${owner};`,
    'CREATE TABLE public."Order Items" (id integer);',
    'ALTER TABLE public."Order Items" OWNER TO "Report Writer";',
    'COPY public.users (id, name, note) FROM stdin;',
    ...userLines,
    '\\.',
    '',
    'COPY public."Order Items" (id) FROM stdin;',
    '\\.',
    '',
    "INSERT INTO public.audit VALUES (1, 'a');",
    "INSERT INTO public.audit VALUES (2, 'b');",
    'GRANT SELECT ON TABLE public.users TO readonly, "Report Writer";',
    'GRANT ALL ON SCHEMA public TO PUBLIC;',
    'ALTER DEFAULT PRIVILEGES FOR ROLE argus IN SCHEMA public GRANT SELECT ON TABLES TO analyst;',
  ];
  if (options.complete !== false)
    lines.push('--', '-- PostgreSQL database dump complete', '--', '', '\\unrestrict AbCdEf123');
  return lines.join('\n') + '\n';
}
