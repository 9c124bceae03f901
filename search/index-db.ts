// The search index: an embedded SQLite database (better-sqlite3, DESIGN.md) holding, per log entry, what it certifies:
// entry timestamp, precert flag, every SAN with its type, the issuer, every Fulcio extension by OID (with its field
// name), serial, key fingerprint and notBefore. Rows are keyed by log index and written with INSERT OR IGNORE, so
// indexing the same entries twice (restarts, several frontends, overlapping catch-ups) never duplicates them. The
// `size` it records is the number of leading log entries it holds: catch-up resumes there.
import Database from 'better-sqlite3';
import type { EntryIdentity } from '../ct/entry-identity.js';
import type { PolicyPattern } from '../config/policy.js';
import { FULCIO_EXTENSIONS } from '../lib/fulcio-extensions.js';
import { matchSql, type ValueMatch } from './match.js';
import { serialHex, type SearchQuery } from './query.js';

const SCHEMA_VERSION = '1';
const FIELD_OF_OID = new Map<string, string>(FULCIO_EXTENSIONS.map((e) => [e.oid, e.field]));

const SCHEMA = `
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS entries (
  idx INTEGER PRIMARY KEY,
  ts INTEGER NOT NULL,
  precert INTEGER NOT NULL,
  decoded INTEGER NOT NULL,
  san TEXT,
  issuer TEXT,
  serial TEXT,
  key_fp TEXT,
  not_before INTEGER,
  sans_json TEXT,
  extensions_json TEXT
);
CREATE INDEX IF NOT EXISTS entries_ts ON entries (ts, idx);
CREATE INDEX IF NOT EXISTS entries_issuer ON entries (issuer);
CREATE INDEX IF NOT EXISTS entries_serial ON entries (serial);
CREATE INDEX IF NOT EXISTS entries_key ON entries (key_fp);
CREATE TABLE IF NOT EXISTS sans (
  idx INTEGER NOT NULL, pos INTEGER NOT NULL, type TEXT NOT NULL, value TEXT NOT NULL, PRIMARY KEY (idx, pos)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS sans_value ON sans (value);
CREATE TABLE IF NOT EXISTS exts (
  idx INTEGER NOT NULL, oid TEXT NOT NULL, field TEXT, value TEXT NOT NULL, PRIMARY KEY (idx, oid)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS exts_value ON exts (oid, value);
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
  readonly extensions: Readonly<Record<string, string>>;
}

export interface SearchIndex {
  /** `:memory:` or the database file. */
  readonly location: string;
  /** Leading log entries held (the next index to fetch). */
  size(): number;
  /** The identity of the log it indexes (set when empty; a different one means the index is for another log). */
  logId(): string | undefined;
  /** Forgets everything and records `logId`: the index is rebuilt from entry 0. */
  reset(logId: string): void;
  /** Stores entries idempotently (by log index) and advances size over the contiguous run it now holds. */
  add(entries: readonly IndexedEntry[]): void;
  /** Matching entries below `treeSize`, by (timestamp, index), after the query's cursor; at most limit + 1 (to tell if there is more). */
  query(q: SearchQuery, treeSize: number): IndexRow[];
  close(): void;
}

interface Row {
  idx: number;
  ts: number;
  precert: number;
  san: string | null;
  issuer: string | null;
  serial: string | null;
  key_fp: string | null;
  not_before: number | null;
  sans_json: string | null;
  extensions_json: string | null;
}

export function openSearchIndex(location: string): SearchIndex {
  const db = new Database(location);
  try {
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    db.exec(SCHEMA);
  } catch (e) {
    db.close();
    throw new Error(`search index ${location}: ${(e as Error).message}`, { cause: e });
  }
  // Query patterns (globs and regexes) are compiled once per query and looked up by a per-query id.
  const patterns = new Map<string, PolicyPattern>();
  let nextPattern = 0;
  db.function('fulgor_match', { deterministic: true }, (id: unknown, value: unknown) =>
    typeof value === 'string' && patterns.get(String(id))?.matches(value) ? 1 : 0,
  );

  const getMeta = db.prepare<[string], { value: string }>('SELECT value FROM meta WHERE key = ?');
  const setMeta = db.prepare('INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value');
  if (getMeta.get('schema')?.value !== SCHEMA_VERSION) setMeta.run('schema', SCHEMA_VERSION);
  const insertEntry = db.prepare(
    `INSERT OR IGNORE INTO entries (idx, ts, precert, decoded, san, issuer, serial, key_fp, not_before, sans_json, extensions_json)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  );
  const insertSan = db.prepare('INSERT OR IGNORE INTO sans (idx, pos, type, value) VALUES (?, ?, ?, ?)');
  const insertExt = db.prepare('INSERT OR IGNORE INTO exts (idx, oid, field, value) VALUES (?, ?, ?, ?)');
  const hasIndex = db.prepare<[number], { idx: number }>('SELECT idx FROM entries WHERE idx = ?');

  const size = (): number => Number(getMeta.get('size')?.value ?? '0');

  const add = db.transaction((entries: readonly IndexedEntry[]) => {
    for (const { index, timestamp, entry } of entries) {
      const id = entry?.identity;
      const result = insertEntry.run(
        index,
        timestamp,
        entry?.precert ? 1 : 0,
        id ? 1 : 0,
        id?.san ?? null,
        id?.issuer ?? null,
        id ? serialHex(id.serial) : null,
        id?.keyFingerprint ?? null,
        id ? id.notBefore.getTime() : null,
        id ? JSON.stringify(id.sans.map((s) => ({ type: s.type, value: s.value }))) : null,
        id ? JSON.stringify(id.extensions) : null,
      );
      if (result.changes === 0 || !id) continue;
      id.sans.forEach((s, pos) => insertSan.run(index, pos, s.type, s.value));
      for (const [oid, value] of Object.entries(id.extensionsByOid)) insertExt.run(index, oid, FIELD_OF_OID.get(oid) ?? null, value);
    }
    let next = size();
    while (hasIndex.get(next)) next++;
    setMeta.run('size', String(next));
  });

  function query(q: SearchQuery, treeSize: number): IndexRow[] {
    const where: string[] = ['e.decoded = 1', 'e.idx < ?'];
    const params: unknown[] = [treeSize];
    const ids: string[] = [];
    const register = (p: PolicyPattern): string => {
      const id = String(nextPattern++);
      patterns.set(id, p);
      ids.push(id);
      return id;
    };
    const cond = (column: string, m: ValueMatch) => {
      const c = matchSql(column, m, register);
      params.push(...c.params);
      return c.sql;
    };
    for (const m of q.san) where.push(`e.idx IN (SELECT s.idx FROM sans s WHERE ${cond('s.value', m)})`);
    for (const x of q.ext) {
      const oids = x.oids.map(() => '?').join(', ');
      const prefix = `x.oid IN (${oids})`;
      params.push(...x.oids);
      where.push(`e.idx IN (SELECT x.idx FROM exts x WHERE ${prefix} AND ${cond('x.value', x.match)})`);
    }
    for (const m of q.issuer) where.push(cond('e.issuer', m));
    for (const m of q.serial) where.push(cond('e.serial', m));
    for (const m of q.key) where.push(cond('e.key_fp', m));
    const and = (sql: string, ...values: unknown[]) => {
      where.push(sql);
      params.push(...values);
    };
    if (q.since !== undefined) and('e.ts >= ?', q.since);
    if (q.until !== undefined) and('e.ts < ?', q.until);
    if (q.cursor) and('(e.ts, e.idx) > (?, ?)', q.cursor.timestamp, q.cursor.index);
    const sql = `SELECT e.* FROM entries e WHERE ${where.join(' AND ')} ORDER BY e.ts, e.idx LIMIT ?`;
    params.push(q.limit + 1);
    try {
      return (db.prepare(sql).all(...params) as Row[]).map(toIndexRow);
    } finally {
      for (const id of ids) patterns.delete(id);
    }
  }

  return {
    location,
    size,
    logId: () => getMeta.get('log')?.value,
    reset: db.transaction((logId: string) => {
      db.exec('DELETE FROM sans; DELETE FROM exts; DELETE FROM entries;');
      setMeta.run('size', '0');
      setMeta.run('log', logId);
    }),
    add: (entries) => add(entries),
    query,
    close: () => db.close(),
  };
}


function toIndexRow(r: Row): IndexRow {
  return {
    index: r.idx,
    timestamp: r.ts,
    precert: r.precert === 1,
    san: r.san,
    sans: r.sans_json ? (JSON.parse(r.sans_json) as { type: string; value: string }[]) : [],
    issuer: r.issuer,
    serial: r.serial,
    keyFingerprint: r.key_fp,
    notBefore: r.not_before === null ? null : new Date(r.not_before).toISOString(),
    extensions: r.extensions_json ? (JSON.parse(r.extensions_json) as Record<string, string>) : {},
  };
}
