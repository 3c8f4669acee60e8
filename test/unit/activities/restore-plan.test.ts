import { describe, expect, it } from 'vitest';
import { DumpReader, type SegmentMark } from '../../../activities/dump-reader';
import { planStatement, type StatementPlan } from '../../../activities/restore-plan';

/** Reads `sql` in chunks of `size` bytes with COPY cuts every `cut` bytes; returns the output and its marks. */
function readMarked(sql: string, size = 1 << 20, cut?: number) {
  const reader = new DumpReader({ file: 't.sql.gz', copyCutBytes: cut });
  const input = Buffer.from(sql, 'utf8');
  const pieces: Buffer[] = [];
  const marks: { at: number; mark: SegmentMark }[] = [];
  let length = 0;
  const take = ({ output, marks: found }: { output: Buffer; marks: { offset: number; mark: SegmentMark }[] }) => {
    for (const { offset, mark } of found) marks.push({ at: length + offset, mark });
    pieces.push(output);
    length += output.length;
  };
  for (let at = 0; at < input.length; at += size) take(reader.pushMarked(input.subarray(at, at + size)));
  take(reader.finishMarked().tail);
  return { output: Buffer.concat(pieces).toString('utf8'), marks };
}

function plans(sql: string): StatementPlan[] {
  return readMarked(sql)
    .marks.map(({ mark }) => mark)
    .filter((mark) => mark.kind === 'statement')
    .map((mark) => planStatement(mark.statement, mark.action));
}

describe('restore plan', () => {
  it('runs what pg_dump writes after the data beside each other, with the locks its tables need', () => {
    const sql = [
      'SET statement_timeout = 0;',
      "SELECT pg_catalog.set_config('search_path', '', false);",
      'CREATE TABLE public.accounts (id integer);',
      "SELECT pg_catalog.setval('public.accounts_id_seq', 42, true);",
      'ALTER TABLE ONLY public.accounts ADD CONSTRAINT accounts_pkey PRIMARY KEY (id);',
      'CREATE INDEX events_created_idx ON public.events USING btree (created_at);',
      'CREATE UNIQUE INDEX "Odd Name" ON ONLY public.events USING btree (id);',
      'ALTER TABLE ONLY public.events ADD CONSTRAINT events_account_fkey FOREIGN KEY (account_id) REFERENCES public.accounts(id);',
      'BEGIN;',
      'CREATE INDEX loose ON events USING btree (id);',
      'COMMENT ON INDEX public.events_created_idx IS $$x$$;',
      'SET LOCAL work_mem = 1;',
      '',
    ].join('\n');
    expect(plans(sql)).toEqual([
      { kind: 'session', key: 'statement_timeout' },
      { kind: 'session', key: 'set_config:search_path' },
      { kind: 'barrier', label: expect.stringMatching(/^CREATE TABLE PUBLIC\.ACCOUNTS/) },
      { kind: 'parallel', label: 'setval public.accounts_id_seq', locks: [] },
      {
        kind: 'parallel',
        label: 'ADD CONSTRAINT ACCOUNTS_PKEY',
        locks: [{ table: 'public.accounts', mode: 'exclusive' }],
      },
      {
        kind: 'parallel',
        label: 'CREATE INDEX EVENTS_CREATED_IDX',
        locks: [{ table: 'public.events', mode: 'share' }],
      },
      { kind: 'parallel', label: 'CREATE INDEX Odd Name', locks: [{ table: 'public.events', mode: 'share' }] },
      {
        kind: 'parallel',
        label: 'ADD CONSTRAINT EVENTS_ACCOUNT_FKEY',
        locks: [
          { table: 'public.events', mode: 'exclusive' },
          { table: 'public.accounts', mode: 'exclusive' },
        ],
      },
      { kind: 'transaction' },
      // An unqualified table depends on search_path: in order, alone.
      { kind: 'barrier', label: expect.stringMatching(/^CREATE INDEX LOOSE/) },
      { kind: 'barrier', label: expect.stringMatching(/^COMMENT ON INDEX/) },
      { kind: 'barrier', label: expect.stringMatching(/^SET LOCAL/) },
    ]);
  });

  it('leaves out of the plan what the dump policy left out of the stream', () => {
    expect(plans('ALTER TABLE public.t OWNER TO someone;\n')).toEqual([{ kind: 'skip' }]);
  });
});

describe('dump reader boundaries', () => {
  const rows = Array.from({ length: 200 }, (_, i) => `${i}\trow number ${i}`).join('\n');
  const sql = `CREATE TABLE public.t (id int, name text);\nCOPY public.t (id, name) FROM stdin;\n${rows}\n\\.\n\nCREATE INDEX i ON public.t USING btree (id);\n`;

  it('marks statements, COPY rows, cuts every N bytes at a row end and the block end, with the lines', () => {
    const whole = readMarked(sql, 1 << 20, 500).marks.map(({ at, mark }) => `${at} ${mark.kind} ${mark.line}`);
    for (const size of [1, 7, 64, 1 << 20]) {
      const { output, marks } = readMarked(sql, size, 500);
      expect(output).toBe(sql);
      // Unit numbers of a resumed restore hang on this: the same boundaries however the stream is chunked.
      expect(marks.map(({ at, mark }) => `${at} ${mark.kind} ${mark.line}`)).toEqual(whole);
      const kinds = marks.map(({ mark }) => mark.kind);
      expect(kinds.slice(0, 3)).toEqual(['statement', 'statement', 'copy-data']);
      expect(kinds.slice(-2)).toEqual(['copy-end', 'statement']);
      const cuts = marks.filter(({ mark }) => mark.kind === 'copy-cut');
      expect(cuts.length).toBeGreaterThan(5);
      for (const { at, mark } of cuts) {
        // A cut lies just after a row's newline, and its line is the next row's line in the file.
        expect(output[at - 1]).toBe('\n');
        expect(output.slice(0, at).split('\n').length).toBe(mark.line);
      }
      const end = marks.find(({ mark }) => mark.kind === 'copy-end')!;
      expect(output.slice(end.at - 3, end.at)).toBe('\\.\n');
      expect(end.mark.kind === 'copy-end' && end.mark.rows).toBe(200);
      expect(output.slice(0, end.at).split('\n').length).toBe(end.mark.line);
    }
  });

  it('cuts nothing without a cut size, and gives the same output as push()', () => {
    const { output, marks } = readMarked(sql, 13);
    expect(marks.some(({ mark }) => mark.kind === 'copy-cut')).toBe(false);
    const reader = new DumpReader({ file: 't.sql.gz' });
    expect(Buffer.concat([reader.push(Buffer.from(sql)), reader.finish().tail]).toString()).toBe(output);
  });
});
