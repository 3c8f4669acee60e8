import type { TableCount } from '../shared/activity-contract';

const NEWLINE = 0x0a;
const BACKSLASH = 0x5c;
const DOT = 0x2e;
const CARRIAGE_RETURN = 0x0d;
/** Outside COPY blocks only the start of a line matters: longer lines are cut, so memory stays bounded. */
const MAX_RETAINED_LINE_BYTES = 64 * 1024;

const IDENT = '(?:"(?:[^"]|"")*"|[^\\s."(,;]+)';
const QUALIFIED = `(${IDENT}(?:\\.${IDENT})?)`;
const COPY_START = new RegExp(`^COPY ${QUALIFIED} (?:\\(.*\\) )?FROM stdin;\\s*$`);
const CREATE_TABLE = new RegExp(`^CREATE (?:UNLOGGED )?TABLE ${QUALIFIED} \\(`);
const INSERT_INTO = new RegExp(`^INSERT INTO ${QUALIFIED}[\\s(]`);
const OWNER_TO = new RegExp(` OWNER TO (${IDENT});\\s*$`);
const GRANT_TO = /^GRANT .+? TO (.+?)(?: WITH GRANT OPTION)?;\s*$/;
const DEFAULT_PRIVILEGES_FOR_ROLE = new RegExp(`^ALTER DEFAULT PRIVILEGES FOR ROLE (${IDENT})`);
const DEFAULT_PRIVILEGES_GRANT_TO = /^ALTER DEFAULT PRIVILEGES .* GRANT .+? TO (.+?)(?: WITH GRANT OPTION)?;\s*$/;
const DUMPED_FROM = /^-- Dumped from database version (.+?)\s*$/;
const DUMPED_BY = /^-- Dumped by pg_dump version (.+?)\s*$/;
const DUMP_COMPLETE = /^-- PostgreSQL database dump complete\s*$/;
/** pg_dump -C writes `\connect`: it would switch psql from the side database to the live one. */
const UNSAFE_META_COMMAND = /^\\(c|connect|!)(\s|$)/;
const NOT_A_ROLE = new Set(['public', 'current_user', 'session_user', 'current_role']);

/** What one pass over a plain pg_dump tells: enough to check a restore against the dump itself. */
export interface DumpSummary {
  uncompressedBytes: number;
  pgDumpVersion?: string;
  serverVersion?: string;
  /** Rows per table: COPY block lines, or INSERT statements for dumps made with --inserts. */
  tables: TableCount[];
  /** Roles named by OWNER TO and GRANT ... TO, unquoted. */
  roles: string[];
  /** Saw pg_dump's closing "dump complete" comment, outside any COPY block. */
  complete: boolean;
  /** `\restrict` lines written by pg_dump 15.14+ (older psql rejects them). */
  restrictLines: number;
  /** The first psql meta-command that would leave the target database or run a shell (`\connect`, `\!`). */
  unsafeMetaCommand?: string;
}

/**
 * Parses a plain SQL dump chunk by chunk. Inside COPY blocks (almost all bytes of a big dump) it only
 * looks for newlines and the `\.` terminator in the raw buffers, without making strings, so it can sit
 * on the restore's hot path. `onRole` fires the first time a role name is seen, before the chunk that
 * completes its line is passed on, so a caller can create the role before psql reads the statement.
 */
export class DumpScanner {
  private bytes = 0;
  private inCopy = false;
  private copyTable = '';
  private copyRows = 0;
  /** The first bytes (latin1) and the length of a COPY line cut by a chunk boundary. */
  private copyPendingHead = '';
  private copyPendingLength = 0;
  private pendingLine: Buffer[] = [];
  private pendingLineBytes = 0;
  private readonly rows = new Map<string, number>();
  private readonly roleSet = new Set<string>();
  private pgDumpVersion?: string;
  private serverVersion?: string;
  private complete = false;
  private restrictLines = 0;
  /** Set as soon as seen, so a restore can stop before psql reads it. */
  unsafeMetaCommand?: string;

  constructor(private readonly onRole?: (role: string) => void) {}

  push(chunk: Buffer): void {
    this.bytes += chunk.length;
    let position = 0;
    while (position < chunk.length) {
      if (this.inCopy) {
        position = this.scanCopyData(chunk, position);
        continue;
      }
      const newline = chunk.indexOf(NEWLINE, position);
      if (newline === -1) {
        this.retain(chunk, position, chunk.length);
        return;
      }
      if (this.pendingLineBytes === 0) {
        this.handleLine(chunk.toString('utf8', position, Math.min(newline, position + MAX_RETAINED_LINE_BYTES)));
      } else {
        this.retain(chunk, position, newline);
        this.handleLine(Buffer.concat(this.pendingLine).toString('utf8'));
        this.pendingLine = [];
        this.pendingLineBytes = 0;
      }
      position = newline + 1;
    }
  }

  /** Call once after the last chunk. */
  finish(): DumpSummary {
    if (this.pendingLineBytes > 0 && !this.inCopy) {
      this.handleLine(Buffer.concat(this.pendingLine).toString('utf8'));
      this.pendingLine = [];
      this.pendingLineBytes = 0;
    }
    return this.summary();
  }

  summary(): DumpSummary {
    return {
      uncompressedBytes: this.bytes,
      pgDumpVersion: this.pgDumpVersion,
      serverVersion: this.serverVersion,
      tables: [...this.rows].map(([table, rows]) => ({ table, rows })),
      roles: [...this.roleSet],
      // A dump cut inside a COPY block may still contain an earlier "complete" line of another dump: not complete.
      complete: this.complete && !this.inCopy,
      restrictLines: this.restrictLines,
      unsafeMetaCommand: this.unsafeMetaCommand,
    };
  }

  /** Counts COPY rows up to the `\.` line; returns where line parsing resumes (chunk.length when all consumed). */
  private scanCopyData(chunk: Buffer, start: number): number {
    let lineStart = start;
    for (;;) {
      const newline = chunk.indexOf(NEWLINE, lineStart);
      if (newline === -1) {
        this.rememberPartialCopyLine(chunk, lineStart);
        return chunk.length;
      }
      if (
        this.copyPendingLength > 0
          ? this.pendingLineIsTerminator(chunk, lineStart, newline)
          : isTerminator(chunk, lineStart, newline)
      ) {
        this.copyPendingHead = '';
        this.copyPendingLength = 0;
        this.endCopy();
        return newline + 1;
      }
      this.copyPendingHead = '';
      this.copyPendingLength = 0;
      this.copyRows++;
      lineStart = newline + 1;
    }
  }

  private rememberPartialCopyLine(chunk: Buffer, lineStart: number): void {
    if (lineStart >= chunk.length) return;
    if (this.copyPendingHead.length < 3) {
      const need = 3 - this.copyPendingHead.length;
      this.copyPendingHead += chunk.toString('latin1', lineStart, Math.min(chunk.length, lineStart + need));
    }
    this.copyPendingLength += chunk.length - lineStart;
  }

  private pendingLineIsTerminator(chunk: Buffer, lineStart: number, newline: number): boolean {
    const length = this.copyPendingLength + (newline - lineStart);
    if (length !== 2 && length !== 3) return false;
    const line = (this.copyPendingHead + chunk.toString('latin1', lineStart, newline)).slice(0, length);
    return line === '\\.' || line === '\\.\r';
  }

  private endCopy(): void {
    this.rows.set(this.copyTable, (this.rows.get(this.copyTable) ?? 0) + this.copyRows);
    this.inCopy = false;
    this.copyRows = 0;
  }

  private retain(chunk: Buffer, from: number, to: number): void {
    const room = MAX_RETAINED_LINE_BYTES - this.pendingLineBytes;
    if (room <= 0 || to <= from) return;
    const end = Math.min(to, from + room);
    this.pendingLine.push(Buffer.from(chunk.subarray(from, end)));
    this.pendingLineBytes += end - from;
  }

  private handleLine(line: string): void {
    switch (line.charCodeAt(0)) {
      case 0x2d /* - */:
        this.handleComment(line);
        return;
      case 0x43 /* C */: {
        const copy = COPY_START.exec(line);
        if (copy) {
          this.inCopy = true;
          this.copyTable = copy[1];
          this.copyRows = 0;
          if (!this.rows.has(copy[1])) this.rows.set(copy[1], 0);
          return;
        }
        // Tables without rows have no INSERT in an --inserts dump: they still count, with 0 rows.
        const created = CREATE_TABLE.exec(line);
        if (created && !this.rows.has(created[1])) this.rows.set(created[1], 0);
        return;
      }
      case 0x49 /* I */: {
        const insert = INSERT_INTO.exec(line);
        if (insert) this.rows.set(insert[1], (this.rows.get(insert[1]) ?? 0) + 1);
        return;
      }
      case 0x5c /* \ */:
        if (line.startsWith('\\restrict ')) this.restrictLines++;
        else if (UNSAFE_META_COMMAND.test(line)) this.unsafeMetaCommand ??= line.slice(0, 80);
        return;
      default:
        this.collectRoles(line);
    }
  }

  private handleComment(line: string): void {
    if (DUMP_COMPLETE.test(line)) {
      this.complete = true;
      return;
    }
    this.serverVersion ??= DUMPED_FROM.exec(line)?.[1];
    this.pgDumpVersion ??= DUMPED_BY.exec(line)?.[1];
  }

  private collectRoles(line: string): void {
    if (line.startsWith('ALTER DEFAULT PRIVILEGES')) {
      const owner = DEFAULT_PRIVILEGES_FOR_ROLE.exec(line);
      if (owner) this.addRole(owner[1]);
      const grantees = DEFAULT_PRIVILEGES_GRANT_TO.exec(line);
      if (grantees) splitRoleList(grantees[1]).forEach((role) => this.addRole(role));
      return;
    }
    if (line.startsWith('ALTER ')) {
      const owner = OWNER_TO.exec(line);
      if (owner) this.addRole(owner[1]);
      return;
    }
    if (line.startsWith('GRANT ')) {
      const grantees = GRANT_TO.exec(line);
      if (grantees) splitRoleList(grantees[1]).forEach((role) => this.addRole(role));
    }
  }

  private addRole(raw: string): void {
    const role = unquoteIdentifier(raw.trim().replace(/^GROUP /i, ''));
    if (!role || NOT_A_ROLE.has(role.toLowerCase()) || this.roleSet.has(role)) return;
    this.roleSet.add(role);
    this.onRole?.(role);
  }
}

function isTerminator(chunk: Buffer, lineStart: number, newline: number): boolean {
  const length = newline - lineStart;
  if (length !== 2 && length !== 3) return false;
  if (chunk[lineStart] !== BACKSLASH || chunk[lineStart + 1] !== DOT) return false;
  return length === 2 || chunk[lineStart + 2] === CARRIAGE_RETURN;
}

function splitRoleList(list: string): string[] {
  return list.match(/"(?:[^"]|"")*"|[^,\s][^,]*/g)?.map((part) => part.trim()) ?? [];
}

export function unquoteIdentifier(identifier: string): string {
  if (identifier.length >= 2 && identifier.startsWith('"') && identifier.endsWith('"')) {
    return identifier.slice(1, -1).replace(/""/g, '"');
  }
  return identifier;
}
