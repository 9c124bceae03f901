// The search query: parsed and checked from the API's query parameters (san, issuer, ext.<field name or OID>,
// since, until, serial, key, limit, cursor). Every mistake is a SearchQueryError naming the parameter (HTTP 400).
import { FULCIO_ARC, FULCIO_EXTENSIONS } from '../lib/fulcio-extensions.js';
import { parseValueMatch, type ValueMatch } from './match.js';

export const DEFAULT_LIMIT = 100;
export const MAX_LIMIT = 1000;

export class SearchQueryError extends Error {
  override readonly name = 'SearchQueryError';
}

export interface ExtensionCondition {
  /** As the client named it (`sourceRepositoryUri` or `1.3.6.1.4.1.57264.1.12`). */
  readonly name: string;
  /** The OIDs it stands for (`issuer` is both .1 and .8). */
  readonly oids: readonly string[];
  readonly match: ValueMatch;
}

/** A position in the result order (entry timestamp, then log index): results strictly after it. */
export interface Cursor {
  readonly timestamp: number;
  readonly index: number;
}

export interface SearchQuery {
  readonly san: readonly ValueMatch[];
  readonly issuer: readonly ValueMatch[];
  readonly serial: readonly ValueMatch[];
  readonly key: readonly ValueMatch[];
  readonly ext: readonly ExtensionCondition[];
  /** Entry timestamps (ms): since inclusive, until exclusive. */
  readonly since?: number;
  readonly until?: number;
  readonly limit: number;
  readonly cursor?: Cursor;
}

/** Query parameters as repeated values, e.g. from URLSearchParams or express's req.query. */
export type SearchParams = Readonly<Record<string, string | readonly string[] | undefined>>;

const DOTTED_OID = /^[0-2](?:\.(?:0|[1-9]\d{0,9})){1,20}$/;
const DATE_ONLY = /^(\d{4})-(\d{2})-(\d{2})$/;
const RFC3339 = /^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?(?:[Zz]|[+-]\d{2}:\d{2})$/;
const HEX = /^[0-9a-f]+$/;

/** The OIDs a `ext.<name>` parameter names: a Fulcio field name (lowerCamelCase) or a dotted OID. */
export function extensionOids(name: string): string[] {
  const byField = FULCIO_EXTENSIONS.filter((e) => e.field === name).map((e) => e.oid);
  if (byField.length > 0) return byField;
  if (DOTTED_OID.test(name)) return [name];
  throw new SearchQueryError(
    `unknown extension ${JSON.stringify(name)}: use a Fulcio field name (${FULCIO_EXTENSIONS.filter((e) => e.arc >= 8)
      .map((e) => e.field)
      .join(', ')}) or a dotted OID such as ${FULCIO_ARC}.12`,
  );
}

function values(params: SearchParams, name: string): string[] {
  const v = params[name];
  if (v === undefined) return [];
  return typeof v === 'string' ? [v] : [...v];
}

function single(params: SearchParams, name: string): string | undefined {
  const v = values(params, name);
  if (v.length > 1) throw new SearchQueryError(`parameter ${name} was given more than once`);
  return v[0];
}

function match(name: string, source: string, normalize: (s: string) => string = (s) => s): ValueMatch {
  if (source === '') throw new SearchQueryError(`parameter ${name} is empty`);
  try {
    return parseValueMatch(normalize(source));
  } catch (e) {
    throw new SearchQueryError(`parameter ${name}: ${(e as Error).message}`, { cause: e });
  }
}

/** RFC 3339 date-time, or a bare date (YYYY-MM-DD, UTC): ms since the epoch. A bare `until` date includes that day. */
export function parseTime(name: string, text: string, end: boolean): number {
  const date = DATE_ONLY.exec(text);
  if (date) {
    const ms = Date.UTC(Number(date[1]), Number(date[2]) - 1, Number(date[3]));
    if (new Date(ms).toISOString().slice(0, 10) !== text) throw new SearchQueryError(`parameter ${name}: ${JSON.stringify(text)} is not a calendar date`);
    return end ? ms + 86_400_000 : ms;
  }
  const ms = RFC3339.test(text) ? Date.parse(text.replace(' ', 'T')) : NaN;
  if (!Number.isFinite(ms))
    throw new SearchQueryError(`parameter ${name} must be an RFC 3339 time (2026-12-01T10:00:00Z) or a date (2026-12-01), not ${JSON.stringify(text.slice(0, 64))}`);
  return end ? ms + 1 : ms;
}

/** Hex as printed by openssl or anyone: case and `:` separators do not matter. */
const hexValue = (s: string): string => s.replace(/:/g, '').toLowerCase();

/** A serial as the integer's hex (openssl's -serial): leading zero bytes dropped, at least one byte kept. */
export const serialHex = (hex: string): string => hex.toLowerCase().replace(/^(?:00)+(?=[0-9a-f]{2})/, '');

export function encodeCursor(c: Cursor): string {
  return Buffer.from(JSON.stringify([c.timestamp, c.index])).toString('base64url');
}

export function decodeCursor(text: string): Cursor {
  try {
    if (!/^[A-Za-z0-9_-]{1,200}$/.test(text)) throw new Error('not base64url');
    const v: unknown = JSON.parse(Buffer.from(text, 'base64url').toString('utf8'));
    if (Array.isArray(v) && v.length === 2 && v.every((n) => Number.isSafeInteger(n) && n >= 0))
      return { timestamp: v[0] as number, index: v[1] as number };
  } catch {
    // reported below
  }
  throw new SearchQueryError('parameter cursor is not a cursor this log returned (pass the "next" value unchanged)');
}

const KNOWN = new Set(['san', 'issuer', 'since', 'until', 'serial', 'key', 'limit', 'cursor']);

export function parseSearchQuery(params: SearchParams): SearchQuery {
  for (const name of Object.keys(params))
    if (!KNOWN.has(name) && !name.startsWith('ext.'))
      throw new SearchQueryError(`unknown parameter ${JSON.stringify(name.slice(0, 64))}: use san, issuer, ext.<field name or OID>, since, until, serial, key, limit, cursor`);
  const ext = Object.keys(params)
    .filter((n) => n.startsWith('ext.'))
    .flatMap((n) => {
      const name = n.slice(4);
      const oids = extensionOids(name);
      return values(params, n).map((v) => ({ name, oids, match: match(n, v) }));
    });
  const limitText = single(params, 'limit');
  let limit = DEFAULT_LIMIT;
  if (limitText !== undefined) {
    if (!/^\d{1,9}$/.test(limitText) || Number(limitText) < 1) throw new SearchQueryError('parameter limit must be a positive integer');
    limit = Math.min(Number(limitText), MAX_LIMIT);
  }
  const sinceText = single(params, 'since');
  const untilText = single(params, 'until');
  const cursorText = single(params, 'cursor');
  const since = sinceText === undefined ? undefined : parseTime('since', sinceText, false);
  const until = untilText === undefined ? undefined : parseTime('until', untilText, true);
  if (since !== undefined && until !== undefined && until <= since) throw new SearchQueryError('parameter until must be later than since');
  const hex = (name: string, normalize: (s: string) => string = (s) => s) =>
    values(params, name).map((v) => {
      const m = match(name, v, (s) => normalize(hexValue(s)));
      if (m.kind === 'exact' && !HEX.test(m.value)) throw new SearchQueryError(`parameter ${name} must be hex (a pattern may use *)`);
      return m;
    });
  return {
    san: values(params, 'san').map((v) => match('san', v)),
    issuer: values(params, 'issuer').map((v) => match('issuer', v)),
    serial: hex('serial', (s) => (s.includes('*') ? s : serialHex(s))),
    key: hex('key'),
    ext,
    ...(since !== undefined ? { since } : {}),
    ...(until !== undefined ? { until } : {}),
    limit,
    ...(cursorText !== undefined ? { cursor: decodeCursor(cursorText) } : {}),
  };
}
