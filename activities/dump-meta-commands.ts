/**
 * The only psql meta-commands a backup may hold, each alone on its line: pg_dump's own `\restrict KEY` /
 * `\unrestrict KEY` (15.14+; the product wraps the stream in its own key instead), and a `--create` dump's
 * `\connect` to the database it creates (the product restores into its side database instead), with the
 * `\encoding SQL_ASCII` that recent pg_dump writes just before that `\connect` (so that a database name with
 * non-ASCII characters reaches the server unconverted). All are left out of the stream. Every other
 * meta-command (`\!`, `\o |cmd`, `\copy`, `\set`, `\i`, another `\encoding`, ...) is refused.
 */
export type MetaVerdict =
  { action: 'drop'; kind: 'restrict' | 'connect' | 'encoding'; reason: string } | { action: 'refuse'; reason: string };

const RESTRICT = /^\\(restrict|unrestrict) [A-Za-z0-9]+$/;
const CONNECT = /^\\(?:connect|c) +(.+)$/;
const ENCODING_BEFORE_CONNECT = /^\\encoding SQL_ASCII$/;

export function judgeMetaCommand(line: string, ownDatabase: string | undefined): MetaVerdict {
  if (RESTRICT.test(line)) return { action: 'drop', kind: 'restrict', reason: "pg_dump's \\restrict lines (replaced)" };
  // Only in a --create dump, after its own CREATE DATABASE: the session it would set is the one \connect leaves.
  if (ENCODING_BEFORE_CONNECT.test(line) && ownDatabase !== undefined) {
    return {
      action: 'drop',
      kind: 'encoding',
      reason: "the \\encoding of the dump's own \\connect (left out with it)",
    };
  }
  const connect = CONNECT.exec(line);
  if (connect) {
    const target = connectTarget(connect[1]);
    if (ownDatabase !== undefined && target === ownDatabase) {
      return { action: 'drop', kind: 'connect', reason: "the dump's own \\connect (restored into the side database)" };
    }
    return { action: 'refuse', reason: 'a psql \\connect to another database' };
  }
  return { action: 'refuse', reason: 'a psql meta-command' };
}

/** The database of pg_dump's `\connect name`, `\connect "name"` or `\connect -reuse-previous=on "dbname='name'"`. */
function connectTarget(args: string): string | undefined {
  const reuse = /^-reuse-previous=on +"dbname='((?:[^'\\"]|\\.|"")*)'"$/.exec(args);
  if (reuse) return reuse[1].replace(/""/g, '"').replace(/\\(.)/g, '$1');
  const quoted = /^"((?:[^"]|"")*)"$/.exec(args);
  if (quoted) return quoted[1].replace(/""/g, '"');
  if (/^[^\s"'\\:`]+$/.test(args)) return args;
  return undefined;
}
