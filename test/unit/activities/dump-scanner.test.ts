import { describe, expect, it } from 'vitest';
import { DumpScanner } from '../../../activities/dump-scanner';
import { syntheticDump } from './dump-fixtures';

function scanInChunks(text: string, chunkSize: number) {
  const bytes = Buffer.from(text, 'utf8');
  const roles: string[] = [];
  const scanner = new DumpScanner((role) => roles.push(role));
  for (let i = 0; i < bytes.length; i += chunkSize) scanner.push(bytes.subarray(i, i + chunkSize));
  return { summary: scanner.finish(), roles };
}

describe('DumpScanner', () => {
  it('reads versions, COPY row counts, INSERT counts, roles and the closing line', () => {
    const { summary, roles } = scanInChunks(syntheticDump({ usersRows: 5 }), 1 << 20);
    expect(summary.serverVersion).toBe('15.14 (Debian 15.14-1.pgdg120+1)');
    expect(summary.pgDumpVersion).toBe('15.18 (Debian 15.18-0+deb12u1)');
    expect(summary.tables).toEqual([
      { table: 'public.users', rows: 5 },
      { table: 'public."Order Items"', rows: 0 },
      { table: 'public.audit', rows: 2 },
    ]);
    expect(summary.roles.sort()).toEqual(['Report Writer', 'analyst', 'argus', 'readonly']);
    expect(roles.sort()).toEqual(summary.roles.sort());
    expect(summary.complete).toBe(true);
    expect(summary.restrictLines).toBe(1);
    expect(summary.unsafeMetaCommand).toBeUndefined();
  });

  it('gives the same answer whatever the chunk boundaries (down to one byte)', () => {
    const text = syntheticDump({ usersRows: 40 });
    const whole = scanInChunks(text, 1 << 20).summary;
    for (const size of [1, 2, 3, 7, 64]) {
      expect(scanInChunks(text, size).summary).toEqual(whole);
    }
  });

  it('does not take a data line that merely starts with \\. for the end of a COPY block', () => {
    const text = syntheticDump({ usersRows: 0 }).replace(
      'COPY public.users (id, name, note) FROM stdin;\n\\.\n',
      'COPY public.users (id, name, note) FROM stdin;\n\\.x\n\\\\.\n1\ta\n\\.\n',
    );
    expect(scanInChunks(text, 5).summary.tables[0]).toEqual({ table: 'public.users', rows: 3 });
  });

  it('reports a dump without the closing line, or cut inside a COPY block, as incomplete', () => {
    expect(scanInChunks(syntheticDump({ complete: false }), 100).summary.complete).toBe(false);
    const cut = syntheticDump({ usersRows: 10 });
    const inCopy = cut.slice(0, cut.indexOf('5\tuser5'));
    expect(scanInChunks(inCopy, 100).summary.complete).toBe(false);
  });

  it('flags \\connect and shell escapes that would leave the target database', () => {
    const withConnect = syntheticDump().replace('SET statement_timeout = 0;', '\\connect argus_db');
    expect(scanInChunks(withConnect, 9).summary.unsafeMetaCommand).toBe('\\connect argus_db');
    const withShell = syntheticDump().replace('SET statement_timeout = 0;', '\\! rm -rf /');
    expect(scanInChunks(withShell, 9).summary.unsafeMetaCommand).toBe('\\! rm -rf /');
  });

  it('keeps memory bounded on a single enormous line', () => {
    const scanner = new DumpScanner();
    const block = Buffer.alloc(1 << 20, 0x61);
    for (let i = 0; i < 64; i++) scanner.push(block);
    scanner.push(Buffer.from('\n-- PostgreSQL database dump complete\n'));
    const summary = scanner.finish();
    expect(summary.complete).toBe(true);
    expect(summary.uncompressedBytes).toBe(64 * (1 << 20) + 38);
  });
});
