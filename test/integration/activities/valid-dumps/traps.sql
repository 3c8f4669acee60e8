-- Run after schema.sql in a second source database: text that, at the start of a line of the dump, looks like
-- a psql meta-command, pg_dump's closing comment, or the start of a statement. psql knows it sits inside a
-- dollar-quoted body or a string literal, so all of it restores as written.

CREATE FUNCTION public.trap_body() RETURNS text LANGUAGE plpgsql AS $fn$
DECLARE
  template text := 'a line
INSERT INTO public.users VALUES (1);
COPY public.trap_notes (id, body) FROM stdin;
1	not a row
\.
--
-- PostgreSQL database dump complete
--
\connect postgres
\! echo not a shell
done';
BEGIN
  RETURN template;
END;
$fn$;

CREATE TABLE public.trap_notes (id int PRIMARY KEY, body text);
INSERT INTO public.trap_notes (id, body)
SELECT g,
       CASE g % 6
         WHEN 0 THEN E'x\nINSERT INTO public.trap_notes VALUES (1000, ''y'');\ny'
         WHEN 1 THEN E'x\nCOPY public.trap_notes (id, body) FROM stdin;\n1\tnot a row\ny'
         WHEN 2 THEN E'x\n--\n-- PostgreSQL database dump complete\n--\n'
         WHEN 3 THEN E'x\n\\connect postgres\ny'
         WHEN 4 THEN E'x\n\\! echo not a shell\ny'
         ELSE E'x\n\\.\n\\unrestrict nothing\ny'
       END
  FROM generate_series(1, 240) g;
