import type { Verdict } from './verdict';

/**
 * Cuts a failing dump down while it still fails the same way: first whole TOC entries (pg_dump's `--\n-- Name:`
 * blocks), then rows of COPY blocks and lines of the rest, by halves. Stops after `budgetMs`.
 */
export async function shrinkDump(
  dump: Buffer,
  stillFails: (candidate: Buffer) => Promise<boolean>,
  budgetMs: number,
): Promise<Buffer> {
  const deadline = Date.now() + budgetMs;
  let pieces = splitEntries(dump.toString('utf8'));
  pieces = await removeWhileFailing(pieces, stillFails, deadline, (piece) => STRUCTURAL_LINE.test(piece));
  // Within what is left, rows and lines: a COPY's header and end marker are kept by splitting only its rows.
  const lines: string[] = [];
  for (const piece of pieces) lines.push(...piece.split(/(?<=\n)/));
  const kept = await removeWhileFailing(lines, stillFails, deadline, isStructuralLine);
  return Buffer.from(kept.join(''), 'utf8');
}

function splitEntries(text: string): string[] {
  return text.split(/(?=\n--\n-- (?:Name|Data for Name|TOC entry)[^\n]*\n--\n)/);
}

/**
 * What keeps a shrunk dump one that pg_dump could have written: COPY headers and end markers, `\restrict` pairs, a
 * --create dump's CREATE DATABASE, `\encoding` and `\connect`, the session's encoding and string settings.
 * Without them a dump may fail for a reason of its own (the product rightly refuses a `\encoding` with no
 * CREATE DATABASE before it).
 */
const STRUCTURAL_LINE =
  /^(COPY .* FROM stdin;|\\\.|\\(un)?restrict .*|CREATE DATABASE .*|\\connect .*|\\encoding .*|SET (client_encoding|standard_conforming_strings) .*|-- (Data for Name|load via partition root) .*)$/m;

function isStructuralLine(line: string): boolean {
  return STRUCTURAL_LINE.test(line);
}

async function removeWhileFailing(
  pieces: string[],
  stillFails: (candidate: Buffer) => Promise<boolean>,
  deadline: number,
  keep: (piece: string) => boolean = () => false,
): Promise<string[]> {
  let current = pieces;
  for (let chunk = Math.max(1, Math.floor(current.length / 2)); chunk >= 1; chunk = Math.floor(chunk / 2)) {
    for (let start = current.length - chunk; start >= 0; start -= chunk) {
      if (Date.now() > deadline) return current;
      const removed = current.slice(start, start + chunk);
      if (removed.some(keep)) continue;
      const candidate = [...current.slice(0, start), ...current.slice(start + chunk)];
      if (await stillFails(Buffer.from(candidate.join(''), 'utf8'))) current = candidate;
    }
    if (chunk === 1) break;
  }
  return current;
}

/**
 * The same failure: the same verdict and the same kind of detail, so that shrinking never drifts to another
 * failure. A mismatch keeps its first two fields (`verification: row counts equal the dump`, `content (- psql, +
 * product)`, `the product restored it; psql failed`), a refusal also its error type and reason (`BackupUnsafe`,
 * `a psql meta-command`); numbers and file names aside.
 */
export function sameFailure(original: Verdict, candidate: Verdict): boolean {
  return candidate.kind === original.kind && failureSignature(candidate) === failureSignature(original);
}

function failureSignature(verdict: Verdict): string {
  const fields = (verdict.detail[0] ?? '')
    .replace(/\d+/g, 'N')
    .replace(/\S+\.sql\.gz/g, 'FILE')
    .split(':');
  return fields.slice(0, verdict.kind === 'false-refusal' ? 4 : 2).join(':');
}
