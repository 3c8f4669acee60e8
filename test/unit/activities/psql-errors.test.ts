import { describe, expect, it } from 'vitest';
import {
  connectionLines,
  isTransientSqlState,
  lastPsqlError,
  redactQuotedValues,
  redactStatement,
} from '../../../activities/psql-errors';

const SECRET = 'sk_live_4eC39HqLyjWDarjtT1zdp7dc';

describe("lastPsqlError: only psql's ERROR line, redacted", () => {
  it('keeps the line, SQLSTATE and constraint of a duplicate key; drops DETAIL, CONTEXT and LOCATION', () => {
    const stderr = [
      'psql:<stdin>:41: ERROR:  23505: duplicate key value violates unique constraint "api_keys_token_key"',
      `DETAIL:  Key (token)=(${SECRET}) already exists.`,
      'CONTEXT:  COPY api_keys, line 2',
      'LOCATION:  _bt_check_unique, nbtinsert.c:664',
    ].join('\n');
    const error = lastPsqlError(stderr)!;
    expect(error).toEqual({
      inputLine: 41,
      severity: 'ERROR',
      sqlState: '23505',
      message: 'duplicate key value violates unique constraint "api_keys_token_key"',
      copy: { table: 'api_keys', row: 2, column: undefined },
    });
    expect(JSON.stringify(error)).not.toContain(SECRET);
  });

  it('redacts a value the ERROR line echoes itself, and takes the COPY column but not its value', () => {
    const stderr = [
      `psql:<stdin>:7: ERROR:  22P02: invalid input syntax for type uuid: "${SECRET}"`,
      `CONTEXT:  COPY users, line 3, column external_id: "${SECRET}"`,
    ].join('\n');
    const error = lastPsqlError(stderr)!;
    expect(error.message).toBe('invalid input syntax for type uuid: "…"');
    expect(error.copy).toEqual({ table: 'users', row: 3, column: 'external_id' });
    expect(JSON.stringify(error)).not.toContain(SECRET);
  });

  it('reads the last error when there are several, and lines without VERBOSITY=verbose', () => {
    const stderr = [
      'psql:<stdin>:3: ERROR:  relation "a" already exists',
      'psql:<stdin>:9: ERROR:  permission denied to create extension "amcheck"',
      'HINT:  Must be superuser to create this extension.',
    ].join('\n');
    expect(lastPsqlError(stderr)).toEqual({
      inputLine: 9,
      severity: 'ERROR',
      sqlState: undefined,
      message: 'permission denied to create extension "amcheck"',
    });
  });

  it('finds nothing located in a connection failure', () => {
    expect(lastPsqlError('psql: error: connection to server at "127.0.0.1", port 5432 failed')).toBeUndefined();
  });
});

describe('redactQuotedValues', () => {
  it.each([
    [`invalid input syntax for type integer: "${SECRET}"`, 'invalid input syntax for type integer: "…"'],
    [`invalid input value for enum mood: "${SECRET}"`, 'invalid input value for enum mood: "…"'],
    [`value "${SECRET}" is out of range for type integer`, 'value "…" is out of range for type integer'],
    [`syntax error at or near "${SECRET}"`, 'syntax error at or near "…"'],
    [`malformed array literal: "{${SECRET}}"`, 'malformed array literal: "…"'],
    [`date/time field value out of range: "${SECRET}"`, 'date/time field value out of range: "…"'],
    [`a value with a quote inside: "ab"${SECRET}"`, 'a value with a quote inside: "…"'],
    [`single quotes: '${SECRET}' too`, "single quotes: '…' too"],
    ['invalid byte sequence for encoding "UTF8": 0xe9 0x20', 'invalid byte sequence for encoding "UTF8": 0x…'],
  ])('%s', (message, redacted) => {
    expect(redactQuotedValues(message)).toBe(redacted);
  });

  it('keeps the names of constraints, relations, columns, roles, types and extensions', () => {
    const names = [
      'duplicate key value violates unique constraint "users_email_key"',
      'null value in column "email" of relation "users" violates not-null constraint',
      'role "Audit Team" does not exist',
      'type "citext" does not exist',
      'permission denied to create extension "amcheck"',
      'new row for relation "t" violates check constraint "positive"',
    ];
    for (const message of names) expect(redactQuotedValues(message)).toBe(message);
  });
});

describe('redactStatement', () => {
  it('cuts an INSERT at VALUES and redacts string literals elsewhere', () => {
    expect(redactStatement(`INSERT INTO public.api_keys VALUES(1, '${SECRET}')`)).toBe(
      'INSERT INTO public.api_keys VALUES (…)',
    );
    expect(redactStatement(`INSERT INTO public.t (id, token) VALUES(1, '${SECRET.slice(0, 30)}...`)).toBe(
      'INSERT INTO public.t (id, token) VALUES (…)',
    );
    expect(redactStatement(`SELECT pg_catalog.setval('public.t_id_seq', 42, true)`)).toBe(
      "SELECT pg_catalog.setval('…', 42, true)",
    );
    expect(redactStatement(`COMMENT ON TABLE public."it's" IS 'it''s ${SECRET}'`)).toBe(
      `COMMENT ON TABLE public."it's" IS '…'`,
    );
    expect(redactStatement('CREATE EXTENSION IF NOT EXISTS amcheck WITH SCHEMA public')).toBe(
      'CREATE EXTENSION IF NOT EXISTS amcheck WITH SCHEMA public',
    );
  });
});

describe('connectionLines', () => {
  it('keeps what psql says about the connection and counts the rest', () => {
    const stderr = [
      'LINE 1: INSERT INTO t VALUES (1, ' + `'${SECRET}');`,
      'server closed the connection unexpectedly',
      '\tThis probably means the server terminated abnormally',
      'psql:<stdin>:12: connection to server was lost',
    ].join('\n');
    const summary = connectionLines(stderr);
    expect(summary).toBe(
      "server closed the connection unexpectedly | psql:<stdin>:12: connection to server was lost | 2 more line(s) of psql's output in the worker's log",
    );
    expect(summary).not.toContain(SECRET);
  });
});

describe('isTransientSqlState', () => {
  it('retries lost connections, deadlocks, resources, shutdowns; not data, integrity or access errors', () => {
    expect(
      ['08006', '40P01', '40001', '53100', '57P01', '57014', '58030', 'XX000', '55P03'].map(isTransientSqlState),
    ).toEqual(Array(9).fill(true));
    expect(['23505', '22P02', '22001', '42501', '42P07', '42883', '3F000'].map(isTransientSqlState)).toEqual(
      Array(7).fill(false),
    );
  });
});
