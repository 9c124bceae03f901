// How a query value matches a text column: exact, prefix or glob/regex, in the issuance policy's pattern language
// (config/policy.ts compilePattern: anchored, RE2, `*` stops at `/`, `**` crosses it). Each becomes an SQL condition
// that an index can serve: equality, or a range on the literal prefix (every match starts with it) narrowed by the
// compiled matcher registered as an SQL function. A match is plain data (a pattern travels as its source and is
// compiled again where it runs): a query crosses to the search index's worker thread (search/index-worker.ts).
import { compilePattern } from '../config/policy.js';

/**
 * - a value with no unescaped `*` (and not `/^...$/`) is an exact match;
 * - `PREFIX**` (the only wildcard a trailing `**`) is a prefix match, answered by the index alone;
 * - any other value with `*` is a glob, `/^...$/` an RE2 regex: both narrowed by their literal prefix, then matched.
 */
export type ValueMatch =
  | { readonly kind: 'exact'; readonly value: string }
  | { readonly kind: 'prefix'; readonly prefix: string }
  | { readonly kind: 'pattern'; readonly prefix: string; readonly source: string };

const PREFIX_ONLY = /^(?:[^*\\]|\\.)*\*\*$/s;

/** Parses a query value (compiling it: a pattern that does not compile is refused here); throws Error saying why a pattern cannot be used. */
export function parseValueMatch(source: string): ValueMatch {
  const pattern = compilePattern(source);
  if (pattern.literal !== undefined) return { kind: 'exact', value: pattern.literal };
  if (pattern.kind === 'glob' && PREFIX_ONLY.test(source)) return { kind: 'prefix', prefix: pattern.literalPrefix };
  return { kind: 'pattern', prefix: pattern.literalPrefix, source };
}

/**
 * The smallest string greater than every string that starts with `prefix`, under SQLite's BINARY collation (UTF-8
 * byte order, which is code point order): the last code point incremented. Undefined when there is none.
 */
export function prefixUpperBound(prefix: string): string | undefined {
  const points = Array.from(prefix);
  while (points.length > 0) {
    let cp = (points.pop() as string).codePointAt(0) as number;
    if (cp >= 0x10ffff) continue;
    cp += 1;
    if (cp >= 0xd800 && cp <= 0xdfff) cp = 0xe000;
    return points.join('') + String.fromCodePoint(cp);
  }
  return undefined;
}

/** An SQL condition on `column` and its parameters; `register` hands a pattern's source to the `fulgor_match` SQL function. */
export function matchSql(column: string, m: ValueMatch, register: (source: string) => string): { sql: string; params: unknown[] } {
  if (m.kind === 'exact') return { sql: `${column} = ?`, params: [m.value] };
  const parts: string[] = [];
  const params: unknown[] = [];
  if (m.prefix !== '') {
    parts.push(`${column} >= ?`);
    params.push(m.prefix);
    const upper = prefixUpperBound(m.prefix);
    if (upper !== undefined) {
      parts.push(`${column} < ?`);
      params.push(upper);
    }
  }
  if (m.kind === 'pattern') {
    parts.push(`fulgor_match(?, ${column})`);
    params.push(register(m.source));
  }
  if (parts.length === 0) parts.push(`${column} IS NOT NULL`);
  return { sql: parts.join(' AND '), params };
}
