/**
 * Hand-written dumps in the style of pg_dump 9.x: `SET search_path = billing, pg_catalog;` and unqualified
 * names after it, `SET default_with_oids = false;`, `SET standard_conforming_strings = off;` with `\'` and
 * E'' strings, `ALTER TABLE` for sequence owners, `EXECUTE PROCEDURE`. Rows are generated, so the count of
 * every table is known by construction. All of it restores with psql 15 into PostgreSQL 15.
 */

export interface OldDump {
  name: string;
  text: string;
  /** Rows per table, named as quote_ident(schema) || '.' || quote_ident(table). */
  counts: Record<string, number>;
  /** Single values to read back from the restored database: SQL returning one row with a column `v`. */
  values: { sql: string; value: string | number | null }[];
}

/** COPY text format: backslash, tab, newline and carriage return escaped. */
function copyField(value: string | null): string {
  if (value === null) return '\\N';
  return value.replace(/\\/g, '\\\\').replace(/\t/g, '\\t').replace(/\n/g, '\\n').replace(/\r/g, '\\r');
}

/** A string literal as pg_dump 9.x wrote it with standard_conforming_strings = off: E'' when it has a backslash. */
function oldLiteral(value: string): string {
  const body = value.replace(/\\/g, '\\\\').replace(/'/g, "''");
  return value.includes('\\') ? `E'${body}'` : `'${body}'`;
}

/** A string literal with standard_conforming_strings = on: backslashes are plain characters. */
function standardLiteral(value: string): string {
  return `'${value.replace(/'/g, "''")}'`;
}

const HEADER_96 = String.raw`--
-- PostgreSQL database dump
--

-- Dumped from database version 9.6.24
-- Dumped by pg_dump version 9.6.24

SET statement_timeout = 0;
SET lock_timeout = 0;
SET idle_in_transaction_session_timeout = 0;
SET client_encoding = 'UTF8';
SET standard_conforming_strings = off;
SET check_function_bodies = false;
SET client_min_messages = warning;
SET row_security = off;

--
-- Name: billing; Type: SCHEMA; Schema: -; Owner: shop
--

CREATE SCHEMA billing;


ALTER SCHEMA billing OWNER TO shop;

--
-- Name: plpgsql; Type: EXTENSION; Schema: -; Owner: 
--

CREATE EXTENSION IF NOT EXISTS plpgsql WITH SCHEMA pg_catalog;


--
-- Name: EXTENSION plpgsql; Type: COMMENT; Schema: -; Owner: 
--

COMMENT ON EXTENSION plpgsql IS 'PL/pgSQL procedural language';


SET search_path = billing, pg_catalog;

--
-- Name: touch(); Type: FUNCTION; Schema: billing; Owner: shop
--

CREATE FUNCTION touch() RETURNS trigger
    LANGUAGE plpgsql
    AS $_$
BEGIN
/*
COPY ledger (id, account_id, amount, memo) FROM stdin;
\.
*/
    NEW.memo := coalesce(NEW.memo, '') || '; touched $1';
    RETURN NEW;
END;
$_$;


ALTER FUNCTION billing.touch() OWNER TO shop;

SET default_tablespace = '';

SET default_with_oids = false;

--
-- Name: accounts; Type: TABLE; Schema: billing; Owner: shop
--

CREATE TABLE accounts (
    id integer NOT NULL,
    holder text NOT NULL,
    note text
);


ALTER TABLE accounts OWNER TO shop;

--
-- Name: accounts_id_seq; Type: SEQUENCE; Schema: billing; Owner: shop
--

CREATE SEQUENCE accounts_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;


ALTER TABLE accounts_id_seq OWNER TO shop;

--
-- Name: accounts_id_seq; Type: SEQUENCE OWNED BY; Schema: billing; Owner: shop
--

ALTER SEQUENCE accounts_id_seq OWNED BY accounts.id;


--
-- Name: ledger; Type: TABLE; Schema: billing; Owner: shop
--

CREATE TABLE ledger (
    id integer NOT NULL,
    account_id integer NOT NULL,
    amount bigint NOT NULL,
    memo text
);


ALTER TABLE ledger OWNER TO shop;

--
-- Name: Empty Box; Type: TABLE; Schema: billing; Owner: shop
--

CREATE TABLE "Empty Box" (
    id integer
);


ALTER TABLE "Empty Box" OWNER TO shop;

SET search_path = public, pg_catalog;

--
-- Name: settings; Type: TABLE; Schema: public; Owner: shop
--

CREATE TABLE settings (
    key text NOT NULL,
    value text
);


ALTER TABLE settings OWNER TO shop;

SET search_path = billing, pg_catalog;

--
-- Name: accounts id; Type: DEFAULT; Schema: billing; Owner: shop
--

ALTER TABLE ONLY accounts ALTER COLUMN id SET DEFAULT nextval('accounts_id_seq'::regclass);


`;

const FOOTER_96 = String.raw`SET search_path = billing, pg_catalog;

--
-- Name: accounts accounts_pkey; Type: CONSTRAINT; Schema: billing; Owner: shop
--

ALTER TABLE ONLY accounts
    ADD CONSTRAINT accounts_pkey PRIMARY KEY (id);


--
-- Name: ledger ledger_pkey; Type: CONSTRAINT; Schema: billing; Owner: shop
--

ALTER TABLE ONLY ledger
    ADD CONSTRAINT ledger_pkey PRIMARY KEY (id);


--
-- Name: ledger_account_idx; Type: INDEX; Schema: billing; Owner: shop
--

CREATE INDEX ledger_account_idx ON ledger USING btree (account_id);


--
-- Name: ledger ledger_touch; Type: TRIGGER; Schema: billing; Owner: shop
--

CREATE TRIGGER ledger_touch BEFORE INSERT ON ledger FOR EACH ROW EXECUTE PROCEDURE touch();


--
-- Name: ledger ledger_account_fk; Type: FK CONSTRAINT; Schema: billing; Owner: shop
--

ALTER TABLE ONLY ledger
    ADD CONSTRAINT ledger_account_fk FOREIGN KEY (account_id) REFERENCES accounts(id);


--
-- Name: public; Type: ACL; Schema: -; Owner: shop
--

REVOKE ALL ON SCHEMA public FROM PUBLIC;
REVOKE ALL ON SCHEMA public FROM shop;
GRANT ALL ON SCHEMA public TO shop;
GRANT ALL ON SCHEMA public TO PUBLIC;


--
-- PostgreSQL database dump complete
--

`;

/**
 * pg_dump 9.6 style: COPY for accounts and settings, INSERT statements for ledger (as if one table had been
 * dumped with --inserts and pasted in), standard_conforming_strings = off, unqualified names.
 */
export function oldDump96(): OldDump {
  const accounts = 240;
  const ledger = 180;
  const settings = 90;
  let text = HEADER_96;
  text += '--\n-- Data for Name: accounts; Type: TABLE DATA; Schema: billing; Owner: shop\n--\n\n';
  text += 'COPY accounts (id, holder, note) FROM stdin;\n';
  for (let id = 1; id <= accounts; id++) {
    const note = id % 4 === 0 ? 'back\\slash\tand tab' : id % 4 === 1 ? 'line\nbreak' : id % 4 === 2 ? null : "it's";
    text += `${id}\t${copyField(`holder ${id}`)}\t${copyField(note)}\n`;
  }
  text += '\\.\n\n\n';
  text += '--\n-- Name: accounts_id_seq; Type: SEQUENCE SET; Schema: billing; Owner: shop\n--\n\n';
  text += `SELECT pg_catalog.setval('accounts_id_seq', ${accounts}, true);\n\n\n`;
  text += '--\n-- Data for Name: ledger; Type: TABLE DATA; Schema: billing; Owner: shop\n--\n\n';
  for (let id = 1; id <= ledger; id++) {
    const account = (id % accounts) + 1;
    let memo: string;
    if (id === 1)
      memo = "'it\\'s mine'"; // the old escape: \' is a quote when standard_conforming_strings is off
    else if (id === 2) memo = "E'line one\\nline two'";
    else if (id === 3)
      memo = "'C:\\\\temp\\\\new'"; // C:\temp\new
    else if (id % 5 === 0) memo = oldLiteral(`multi;\nINSERT INTO ledger VALUES (${id});\n\\.\nend`);
    else memo = oldLiteral(`memo ${id}; O'Brien`);
    text += `INSERT INTO ledger VALUES (${id}, ${account}, ${id % 2 === 0 ? -id * 10 : id * 10}, ${memo});\n`;
  }
  text += '\n\n';
  text += 'SET search_path = public, pg_catalog;\n\n';
  text += '--\n-- Data for Name: settings; Type: TABLE DATA; Schema: public; Owner: shop\n--\n\n';
  text += 'COPY settings (key, value) FROM stdin;\n';
  for (let i = 1; i <= settings; i++) text += `${copyField(`key.${i}`)}\t${copyField(i % 3 === 0 ? '\\.' : `v${i}`)}\n`;
  text += '\\.\n\n\n';
  text += FOOTER_96;
  return {
    name: 'pg_dump 9.6 style (search_path, standard_conforming_strings off)',
    text,
    counts: {
      'billing."Empty Box"': 0,
      'billing.accounts': accounts,
      'billing.ledger': ledger,
      'public.settings': settings,
    },
    values: [
      { sql: 'SELECT memo AS v FROM billing.ledger WHERE id = 1', value: "it's mine" },
      { sql: 'SELECT memo AS v FROM billing.ledger WHERE id = 2', value: 'line one\nline two' },
      { sql: 'SELECT memo AS v FROM billing.ledger WHERE id = 3', value: 'C:\\temp\\new' },
      {
        sql: 'SELECT memo AS v FROM billing.ledger WHERE id = 5',
        value: 'multi;\nINSERT INTO ledger VALUES (5);\n\\.\nend',
      },
      { sql: 'SELECT memo AS v FROM billing.ledger WHERE id = 4', value: "memo 4; O'Brien" },
      { sql: 'SELECT note AS v FROM billing.accounts WHERE id = 4', value: 'back\\slash\tand tab' },
      { sql: 'SELECT note AS v FROM billing.accounts WHERE id = 3', value: "it's" },
      { sql: "SELECT value AS v FROM public.settings WHERE key = 'key.3'", value: '\\.' },
      { sql: "SELECT nextval('billing.accounts_id_seq')::int AS v", value: accounts + 1 },
    ],
  };
}

/**
 * pg_dump 9.4 --column-inserts style: only INSERT statements with column lists, unqualified names after
 * `SET search_path`, multi-line values whose lines look like dump statements, standard_conforming_strings on.
 */
export function oldDump94Inserts(): OldDump {
  const people = 210;
  const mixed = 60;
  let text = String.raw`--
-- PostgreSQL database dump
--

-- Dumped from database version 9.4.26
-- Dumped by pg_dump version 9.4.26
-- Started on 2019-06-01 02:00:01 UTC

SET statement_timeout = 0;
SET lock_timeout = 0;
SET client_encoding = 'UTF8';
SET standard_conforming_strings = on;
SET check_function_bodies = false;
SET client_min_messages = warning;

--
-- Name: billing; Type: SCHEMA; Schema: -; Owner: shop
--

CREATE SCHEMA billing;


ALTER SCHEMA billing OWNER TO shop;

SET search_path = billing, pg_catalog;

SET default_tablespace = '';

SET default_with_oids = false;

--
-- Name: people; Type: TABLE; Schema: billing; Owner: shop; Tablespace: 
--

CREATE TABLE people (
    id integer NOT NULL,
    name text NOT NULL,
    bio text
);


ALTER TABLE people OWNER TO shop;

--
-- Name: nobody; Type: TABLE; Schema: billing; Owner: shop; Tablespace: 
--

CREATE TABLE nobody (
    id integer
);


ALTER TABLE nobody OWNER TO shop;

SET search_path = public, pg_catalog;

--
-- Name: Mixed Case; Type: TABLE; Schema: public; Owner: shop; Tablespace: 
--

CREATE TABLE "Mixed Case" (
    "Key" integer NOT NULL,
    "Value" text
);


ALTER TABLE "Mixed Case" OWNER TO shop;

SET search_path = billing, pg_catalog;

--
-- Data for Name: people; Type: TABLE DATA; Schema: billing; Owner: shop
--

`;
  for (let id = 1; id <= people; id++) {
    let bio: string | null;
    if (id % 7 === 0) bio = `first line;\nINSERT INTO people (id, name, bio) VALUES (${id + 1000}, 'x', NULL);\nlast`;
    else if (id % 7 === 1) bio = 'COPY people (id) FROM stdin;\n\\.\n-- PostgreSQL database dump complete';
    else if (id % 7 === 2) bio = 'C:\\new\\table, a \\ backslash';
    else if (id % 7 === 3) bio = null;
    else bio = `bio ${id}: ünïcödé, O'Neil`;
    text += `INSERT INTO people (id, name, bio) VALUES (${id}, ${standardLiteral(`name ${id}`)}, ${bio === null ? 'NULL' : standardLiteral(bio)});\n`;
  }
  text += '\n\nSET search_path = public, pg_catalog;\n\n';
  text += '--\n-- Data for Name: Mixed Case; Type: TABLE DATA; Schema: public; Owner: shop\n--\n\n';
  for (let key = 1; key <= mixed; key++) {
    text += `INSERT INTO "Mixed Case" ("Key", "Value") VALUES (${key}, ${standardLiteral(`value; ${key}`)});\n`;
  }
  text += String.raw`

SET search_path = billing, pg_catalog;

--
-- Name: people_pkey; Type: CONSTRAINT; Schema: billing; Owner: shop; Tablespace: 
--

ALTER TABLE ONLY people
    ADD CONSTRAINT people_pkey PRIMARY KEY (id);


SET search_path = public, pg_catalog;

--
-- Name: Mixed Case_pkey; Type: CONSTRAINT; Schema: public; Owner: shop; Tablespace: 
--

ALTER TABLE ONLY "Mixed Case"
    ADD CONSTRAINT "Mixed Case_pkey" PRIMARY KEY ("Key");


--
-- PostgreSQL database dump complete
--

`;
  return {
    name: 'pg_dump 9.4 --column-inserts style (search_path, multi-line values)',
    text,
    counts: { 'billing.nobody': 0, 'billing.people': people, 'public."Mixed Case"': mixed },
    values: [
      {
        sql: 'SELECT bio AS v FROM billing.people WHERE id = 7',
        value: "first line;\nINSERT INTO people (id, name, bio) VALUES (1007, 'x', NULL);\nlast",
      },
      {
        sql: 'SELECT bio AS v FROM billing.people WHERE id = 8',
        value: 'COPY people (id) FROM stdin;\n\\.\n-- PostgreSQL database dump complete',
      },
      { sql: 'SELECT bio AS v FROM billing.people WHERE id = 9', value: 'C:\\new\\table, a \\ backslash' },
      { sql: 'SELECT bio AS v FROM billing.people WHERE id = 10', value: null },
      { sql: 'SELECT bio AS v FROM billing.people WHERE id = 11', value: "bio 11: ünïcödé, O'Neil" },
      { sql: 'SELECT "Value" AS v FROM public."Mixed Case" WHERE "Key" = 60', value: 'value; 60' },
    ],
  };
}
