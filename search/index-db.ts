// The search index: an embedded SQLite database (better-sqlite3, DESIGN.md). Each log entry is a row of `entries`
// (log index, entry timestamp, precert flag, serial, key fingerprint, notBefore) plus one `terms` row per thing it
// can be found by: each SAN (kind `san:<type>`) and each Fulcio extension (kind = its OID; `kinds` names its field).
// `terms` is keyed (term, idx) only: the entry's own term ids are in its row (`entries.terms`, a JSON array in string
// id order), which is what a result is rendered from and a dense condition is checked against, so that an indexed
// entry writes its dozen terms into one B-tree, not two (schema 3; an index of schema 2 is rebuilt from the log).
// Term texts are interned once in `strings` (kind, text), so a value shared by many certificates (an issuer, a
// workflow, a ref) is stored once, and a glob or regex is matched against the distinct values of its kind, never
// against every entry. Rows are keyed by log index and written with INSERT OR IGNORE: indexing the same entries
// twice (restarts, several frontends, overlapping catch-ups) never duplicates them. `size` counts the leading log
// entries held: catch-up resumes there.
import Database from 'better-sqlite3';
import type { EntryIdentity } from '../ct/entry-identity.js';
import { compilePattern, type PolicyPattern } from '../config/policy.js';
import { FULCIO_ARC, FULCIO_EXTENSIONS } from '../lib/fulcio-extensions.js';
import { matchSql, type ValueMatch } from './match.js';
import { serialHex, type SearchQuery } from './query.js';

const SCHEMA_VERSION = '3';
const FIELD_OF_OID = new Map<string, string>(FULCIO_EXTENSIONS.map((e) => [e.oid, e.field]));
const ISSUER_V2 = `${FULCIO_ARC}.8`;
const ISSUER_V1 = `${FULCIO_ARC}.1`;
export const SAN_KINDS = ['san:email', 'san:dns', 'san:uri', 'san:ip', 'san:otherName'] as const;
/** A condition matching fewer entries than this drives the query; denser ones are checked while scanning by time. */
const DRIVER_MAX = 2000;
const STRING_CACHE_MAX = 100_000;

const SCHEMA = `
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS strings (id INTEGER PRIMARY KEY, kind TEXT NOT NULL, text TEXT NOT NULL, UNIQUE (kind, text));
CREATE TABLE IF NOT EXISTS kinds (kind TEXT PRIMARY KEY, field TEXT) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS entries (
  idx INTEGER PRIMARY KEY,
  ts INTEGER NOT NULL,
  precert INTEGER NOT NULL,
  decoded INTEGER NOT NULL,
  san INTEGER,
  serial TEXT,
  key_fp TEXT,
  not_before INTEGER,
  terms TEXT
);
CREATE INDEX IF NOT EXISTS entries_ts ON entries (ts, idx);
CREATE INDEX IF NOT EXISTS entries_serial ON entries (serial);
CREATE INDEX IF NOT EXISTS entries_key ON entries (key_fp);
CREATE TABLE IF NOT EXISTS terms (term INTEGER NOT NULL, idx INTEGER NOT NULL, PRIMARY KEY (term, idx)) WITHOUT ROWID;
`;

/** One indexed entry: decoded, or (a certificate this code cannot read) only its index and timestamp. */
export interface IndexedEntry {
  readonly index: number;
  readonly timestamp: number;
  readonly entry: EntryIdentity | undefined;
}

/** A matching entry as the index holds it. */
export interface IndexRow {
  readonly index: number;
  readonly timestamp: number;
  readonly precert: boolean;
  readonly san: string | null;
  readonly sans: readonly { type: string; value: string }[];
  readonly issuer: string | null;
  readonly serial: string | null;
  readonly keyFingerprint: string | null;
  readonly notBefore: string | null;
  /** By Fulcio field name (an OID under Fulcio's arc that has none: by OID). */
  readonly extensions: Readonly<Record<string, string>>;
}

export interface SearchIndex {
  /** `:memory:` or the database file. */
  readonly location: string;
  /** Leading log entries held (the next index to fetch). */
  size(): number;
  /** The identity of the log it indexes (a different one means the index is for another log). */
  logId(): string | undefined;
  /** Forgets everything and records `logId`: the index is rebuilt from entry 0. */
  reset(logId: string): void;
  /** Stores entries idempotently (by log index) and advances size over the contiguous run it now holds. */
  add(entries: readonly IndexedEntry[]): void;
  /** Matching entries below `treeSize`, by (timestamp, index), after the query's cursor; at most limit + 1 (to tell if there is more). */
  query(q: SearchQuery, treeSize: number): IndexRow[];
  close(): void;
}

interface EntryRow {
  idx: number;
  ts: number;
  precert: number;
  san: number | null;
  serial: string | null;
  key_fp: string | null;
  not_before: number | null;
  terms: string | null;
}

/** A condition on terms: any of `kinds` whose text matches. */
interface TermCondition {
  readonly kinds: readonly string[];
  readonly match: ValueMatch;
}

export function openSearchIndex(location: string): SearchIndex {
  const db = new Database(location);
  try {
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    // A checkpoint every 4,000 WAL pages (16 MiB), not SQLite's 1,000: a page rewritten by several transactions is copied
    // into the database once per checkpoint, and each checkpoint fsyncs. With 1,000-entry steps this took the writes per
    // indexed entry from 3.6 to 3.1 and the reads from 1.1 to 0.6 (20,000 real precertificates, strace).
    db.pragma('wal_autocheckpoint = 4000');
    const version = (db.prepare("SELECT value FROM meta WHERE key = 'schema'").pluck().get() as string | undefined) ?? undefined;
    if (version !== undefined && version !== SCHEMA_VERSION) {
      // An index written by another version is rebuilt from the log (it is only ever a cache of the log).
      db.exec('DROP TABLE IF EXISTS terms; DROP TABLE IF EXISTS entries; DROP TABLE IF EXISTS strings; DROP TABLE IF EXISTS kinds; DROP TABLE IF EXISTS meta;');
    }
  } catch (e) {
    if (!/no such table: meta/.test((e as Error).message)) {
      db.close();
      throw new Error(`search index ${location}: ${(e as Error).message}`, { cause: e });
    }
  }
  db.exec(SCHEMA);
  // Query patterns (globs and regexes) are compiled once per query and looked up by a per-query id.
  const patterns = new Map<string, PolicyPattern>();
  let nextPattern = 0;
  db.function('fulgor_match', { deterministic: true }, (id: unknown, value: unknown) =>
    typeof value === 'string' && patterns.get(String(id))?.matches(value) ? 1 : 0,
  );

  const getMeta = db.prepare<[string], { value: string }>('SELECT value FROM meta WHERE key = ?');
  const setMeta = db.prepare('INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value');
  setMeta.run('schema', SCHEMA_VERSION);
  const insertEntry = db.prepare(
    'INSERT OR IGNORE INTO entries (idx, ts, precert, decoded, san, serial, key_fp, not_before, terms) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)',
  );
  // An entry's terms go in with one statement (its term ids as a JSON array): one call into SQLite per entry, not one per term.
  const insertTerms = db.prepare('INSERT OR IGNORE INTO terms (term, idx) SELECT value, ? FROM json_each(?)');
  const findString = db.prepare<[string, string]>('SELECT id FROM strings WHERE kind = ? AND text = ?').pluck();
  // A value not cached is most often a new one (a run's URI, a commit's digest): one statement inserts it and returns its id.
  const insertString = db.prepare<[string, string]>('INSERT INTO strings (kind, text) VALUES (?, ?) ON CONFLICT DO NOTHING RETURNING id').pluck();
  const insertKind = db.prepare('INSERT OR IGNORE INTO kinds (kind, field) VALUES (?, ?)');
  const hasIndex = db.prepare<[number]>('SELECT 1 FROM entries WHERE idx = ?').pluck();
  /** String ids by kind, then text: no key is built per lookup. */
  const cache = new Map<string, Map<string, number>>();
  let cached = 0;
  const forget = (): void => {
    cache.clear();
    cached = 0;
  };

  function stringId(kind: string, text: string): number {
    let ofKind = cache.get(kind);
    const hit = ofKind?.get(text);
    if (hit !== undefined) return hit;
    let id = insertString.get(kind, text) as number | undefined;
    if (id === undefined) id = findString.get(kind, text) as number;
    else if (!ofKind) insertKind.run(kind, FIELD_OF_OID.get(kind) ?? null);
    if (cached >= STRING_CACHE_MAX) {
      forget();
      ofKind = undefined;
    }
    if (!ofKind) cache.set(kind, (ofKind = new Map()));
    ofKind.set(text, id);
    cached++;
    return id;
  }

  const size = (): number => Number(getMeta.get('size')?.value ?? '0');

  const add = db.transaction((entries: readonly IndexedEntry[]) => {
    let next = size();
    for (const { index, timestamp, entry } of entries) {
      const id = entry?.identity;
      const sanIds = id ? id.sans.map((s) => stringId(`san:${s.type}`, s.value)) : [];
      const termIds = new Set(sanIds);
      if (id) for (const oid in id.extensionsByOid) termIds.add(stringId(oid, id.extensionsByOid[oid]!));
      // In string id order: the order a row's SANs and extensions are read back in.
      const terms = id ? JSON.stringify([...termIds].sort((a, b) => a - b)) : null;
      const result = insertEntry.run(
        index,
        timestamp,
        entry?.precert ? 1 : 0,
        id ? 1 : 0,
        sanIds[0] ?? null,
        id ? serialHex(id.serial) : null,
        id?.keyFingerprint ?? null,
        id ? id.notBefore.getTime() : null,
        terms,
      );
      // Held now (inserted, or there already): the run from `next` grows without looking the entry up again.
      if (index === next) next++;
      if (result.changes !== 0 && terms !== null) insertTerms.run(index, terms);
    }
    while (hasIndex.get(next) !== undefined) next++;
    setMeta.run('size', String(next));
  });

  /** The string ids a term condition matches (the distinct values of its kinds, never every entry). */
  function termIds(c: TermCondition, register: (source: string) => string): number[] {
    const m = matchSql('text', c.match, register);
    const sql = `SELECT id FROM strings WHERE kind IN (${c.kinds.map(() => '?').join(', ')}) AND ${m.sql}`;
    return db.prepare(sql).pluck().all(...c.kinds, ...m.params) as number[];
  }

  const countTerms = db.prepare<[string, number]>('SELECT count(*) FROM (SELECT 1 FROM terms WHERE term IN (SELECT value FROM json_each(?)) LIMIT ?)').pluck();
  const stringsOf = db.prepare<[string]>('SELECT id, kind, text FROM strings WHERE id IN (SELECT value FROM json_each(?))');

  function query(q: SearchQuery, treeSize: number): IndexRow[] {
    const ids: string[] = [];
    const register = (source: string): string => {
      const id = String(nextPattern++);
      patterns.set(id, compilePattern(source));
      ids.push(id);
      return id;
    };
    try {
      const termConditions: TermCondition[] = [
        ...q.san.map((match) => ({ kinds: SAN_KINDS, match })),
        ...q.issuer.map((match) => ({ kinds: [ISSUER_V2, ISSUER_V1], match })),
        ...q.ext.map((x) => ({ kinds: x.oids, match: x.match })),
      ];
      const sets = termConditions.map((c) => JSON.stringify(termIds(c, register)));
      if (sets.some((s) => s === '[]')) return [];
      const where: string[] = ['e.decoded = 1', 'e.idx < ?'];
      const params: unknown[] = [treeSize];
      const and = (sql: string, ...values: unknown[]) => {
        where.push(sql);
        params.push(...values);
      };
      for (const m of q.serial) {
        const c = matchSql('e.serial', m, register);
        and(c.sql, ...c.params);
      }
      for (const m of q.key) {
        const c = matchSql('e.key_fp', m, register);
        and(c.sql, ...c.params);
      }
      if (q.since !== undefined) and('e.ts >= ?', q.since);
      if (q.until !== undefined) and('e.ts < ?', q.until);
      if (q.cursor) and('(e.ts, e.idx) > (?, ?)', q.cursor.timestamp, q.cursor.index);
      // The sparsest term condition, if sparse enough, drives the query (its few entries sorted by time); the others
      // (and all of them when every one is dense) are checked on the entries a scan in time order meets: the entry's
      // own dozen term ids (its `terms` column), each looked up in the condition's set.
      const counts = sets.map((s) => countTerms.get(s, DRIVER_MAX + 1) as number);
      const driver = counts.length > 0 && Math.min(...counts) <= DRIVER_MAX ? counts.indexOf(Math.min(...counts)) : -1;
      sets.forEach((s, i) => {
        if (i !== driver) and('EXISTS (SELECT 1 FROM json_each(e.terms) t WHERE t.value IN (SELECT value FROM json_each(?)))', s);
      });
      const from =
        driver >= 0
          ? 'FROM (SELECT DISTINCT idx FROM terms WHERE term IN (SELECT value FROM json_each(?))) d CROSS JOIN entries e ON e.idx = d.idx'
          : 'FROM entries e';
      const sql = `SELECT e.* ${from} WHERE ${where.join(' AND ')} ORDER BY e.ts, e.idx LIMIT ?`;
      const rows = db.prepare(sql).all(...(driver >= 0 ? [sets[driver]] : []), ...params, q.limit + 1) as EntryRow[];
      return render(rows);
    } finally {
      for (const id of ids) patterns.delete(id);
    }
  }

  function render(rows: EntryRow[]): IndexRow[] {
    if (rows.length === 0) return [];
    const termIds = rows.map((r) => (r.terms === null ? [] : (JSON.parse(r.terms) as number[])));
    const byId = new Map<number, { kind: string; text: string }>();
    for (const s of stringsOf.all(JSON.stringify([...new Set(termIds.flat())])) as { id: number; kind: string; text: string }[]) byId.set(s.id, s);
    return rows.map((r, i) => {
      const terms = termIds[i]!.map((id) => byId.get(id)).filter((t) => t !== undefined);
      const sans = terms.filter((t) => t.kind.startsWith('san:')).map((t) => ({ type: t.kind.slice(4), value: t.text }));
      const extensions: Record<string, string> = {};
      for (const t of terms) {
        if (t.kind.startsWith('san:')) continue;
        const field = FIELD_OF_OID.get(t.kind) ?? t.kind;
        // The V2 issuer (.8) is the one that counts; .1 only fills in when .8 is absent.
        if (extensions[field] === undefined || t.kind === ISSUER_V2) extensions[field] = t.text;
      }
      return {
        index: r.idx,
        timestamp: r.ts,
        precert: r.precert === 1,
        san: r.san === null ? null : (byId.get(r.san)?.text ?? null),
        sans,
        issuer: extensions['issuer'] ?? null,
        serial: r.serial,
        keyFingerprint: r.key_fp,
        notBefore: r.not_before === null ? null : new Date(r.not_before).toISOString(),
        extensions,
      };
    });
  }

  return {
    location,
    size,
    logId: () => getMeta.get('log')?.value,
    reset: db.transaction((logId: string) => {
      db.exec('DELETE FROM terms; DELETE FROM entries; DELETE FROM strings; DELETE FROM kinds;');
      forget();
      setMeta.run('size', '0');
      setMeta.run('log', logId);
    }),
    add(entries) {
      try {
        add(entries);
      } catch (e) {
        // Rolled back: a string id cached during the transaction may name a row that is not there.
        forget();
        throw e;
      }
    },
    query,
    close: () => db.close(),
  };
}
