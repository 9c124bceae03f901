// The search index on its own: query values classified as exact / prefix / glob / regex, the prefix range bound
// (no value starting with the prefix falls outside it, whatever code points follow), idempotent adds by log index in
// any order, a result rendered from the entry's own terms, the rebuild of an index an earlier schema wrote, and the
// query parameters' checks.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import type { EntryIdentity } from '../../../ct/entry-identity.js';
import { openSearchIndex, parseSearchQuery, SearchQueryError, type SearchIndex } from '../../../search/index.js';
import { parseValueMatch, prefixUpperBound } from '../../../search/match.js';

function entry(index: number, san: string, o: { timestamp?: number; repo?: string } = {}) {
  const identity: EntryIdentity['identity'] = {
    serial: `00${(0x80 + index).toString(16)}`,
    notBefore: new Date(1_800_000_000_000 + index * 1000),
    notAfter: new Date(1_800_000_600_000 + index * 1000),
    sans: [{ type: 'uri', value: san }],
    san,
    issuer: 'https://issuer.test',
    extensions: { issuer: 'https://issuer.test', ...(o.repo ? { sourceRepositoryUri: o.repo } : {}) },
    extensionsByOid: { '1.3.6.1.4.1.57264.1.8': 'https://issuer.test', ...(o.repo ? { '1.3.6.1.4.1.57264.1.12': o.repo } : {}) },
    keyFingerprint: index.toString(16).padStart(64, '0'),
  };
  return { index, timestamp: o.timestamp ?? 1_800_000_000_000 + index * 1000, entry: { precert: true, timestamp: 0, identity } };
}

const q = (params: Record<string, string>) => parseSearchQuery(params);

describe('search index', () => {
  let index: SearchIndex;
  beforeEach(() => {
    index = openSearchIndex(':memory:');
    index.reset('log-a');
  });
  afterEach(() => index.close());

  it('classifies query values: exact, PREFIX** as a prefix, other globs and /^...$/ as patterns', () => {
    assert.deepEqual(parseValueMatch('https://github.com/acme/app'), { kind: 'exact', value: 'https://github.com/acme/app' });
    assert.deepEqual(parseValueMatch('a\\*b'), { kind: 'exact', value: 'a*b' });
    assert.deepEqual(parseValueMatch('https://github.com/acme/**'), { kind: 'prefix', prefix: 'https://github.com/acme/' });
    const glob = parseValueMatch('https://github.com/*/app');
    assert.equal(glob.kind, 'pattern');
    assert.equal(glob.kind === 'pattern' && glob.prefix, 'https://github.com/');
    const regex = parseValueMatch('/^a|b$/');
    assert.equal(regex.kind === 'pattern' && regex.prefix, '');
    assert.throws(() => parseValueMatch('/^(a$/'), /does not compile/);
  });

  it('bounds a prefix range so that no value starting with the prefix falls outside it', () => {
    assert.equal(prefixUpperBound('abc'), 'abd');
    assert.equal(prefixUpperBound(''), undefined);
    assert.equal(prefixUpperBound('a\u{10FFFF}'), 'b');
    assert.equal(prefixUpperBound('\u{10FFFF}'), undefined);
    assert.equal(prefixUpperBound('x\uD7FF'), 'x\uE000');
    const sans = ['https://x/a', 'https://x/a\u{10FFFF}z', 'https://x/a\uFFFFz', 'https://x/a\u00e9', 'https://x/b', 'https://x/'];
    index.add(sans.map((s, i) => entry(i, s)));
    const found = index.query(q({ san: 'https://x/a**' }), 100).map((r) => r.san);
    assert.deepEqual(found.sort(), ['https://x/a', 'https://x/a\u00e9', 'https://x/a\uFFFFz', 'https://x/a\u{10FFFF}z'].sort());
    assert.deepEqual(index.query(q({ san: 'https://x/a\u{10FFFF}**' }), 100).map((r) => r.san), ['https://x/a\u{10FFFF}z']);
  });

  it('adds idempotently by log index, in any order, and records the contiguous size', () => {
    const all = Array.from({ length: 10 }, (_, i) => entry(i, `https://x/${i}`, { repo: `https://github.com/acme/r${i % 3}` }));
    index.add(all.slice(5));
    assert.equal(index.size(), 0, 'entries 5-9 alone leave a gap at 0');
    index.add(all.slice(0, 7));
    assert.equal(index.size(), 10);
    index.add(all);
    assert.equal(index.query(q({ limit: '1000' }), 100).length, 10, 'no duplicates');
    assert.equal(index.query(q({ 'ext.sourceRepositoryUri': 'https://github.com/acme/r1' }), 100).length, 3);
    assert.equal(index.query(q({ 'ext.1.3.6.1.4.1.57264.1.12': 'https://github.com/acme/*' }), 100).length, 10);
    assert.equal(index.query(q({ serial: '81' }), 100)[0]!.index, 1, 'serial without its leading zero byte');
    assert.equal(index.query(q({}), 5).length, 5, 'only entries below the tree size');
    index.reset('log-b');
    assert.equal(index.size(), 0);
    assert.equal(index.logId(), 'log-b');
    assert.equal(index.query(q({}), 100).length, 0);
  });

  it('orders by time, then index, and the cursor resumes strictly after a position', () => {
    index.add([entry(0, 'https://x/0', { timestamp: 5 }), entry(1, 'https://x/1', { timestamp: 3 }), entry(2, 'https://x/2', { timestamp: 3 })]);
    assert.deepEqual(index.query(q({}), 3).map((r) => r.index), [1, 2, 0]);
    assert.deepEqual(index.query({ ...q({}), cursor: { timestamp: 3, index: 1 } }, 3).map((r) => r.index), [2, 0]);
  });

  it('answers the same whether a condition drives the query (sparse) or is checked in time order (dense)', () => {
    // 5,000 entries: the issuer matches all of them and each repository half (both more than the driver limit,
    // 2,000), each SAN a seventh (fewer: it drives).
    const N = 5000;
    const all = Array.from({ length: N }, (_, i) => entry(i, `https://x/${i % 7}`, { repo: `https://github.com/acme/r${i % 2}`, timestamp: 1_000 + ((i * 7919) % N) }));
    index.add(all);
    const expect = (san?: string) =>
      all
        .filter((e) => e.entry.identity.extensions.sourceRepositoryUri === 'https://github.com/acme/r1' && (san === undefined || e.entry.identity.san === san))
        .sort((a, b) => a.timestamp - b.timestamp || a.index - b.index)
        .map((e) => e.index);
    const cases: [Record<string, string>, number[]][] = [
      [{ issuer: 'https://issuer.test' }, expect()],
      [{}, expect()],
      [{ san: 'https://x/3' }, expect('https://x/3')],
    ];
    for (const [params, expected] of cases) {
      const seen: number[] = [];
      let cursor: { timestamp: number; index: number } | undefined;
      for (;;) {
        const rows = index.query({ ...q({ ...params, 'ext.sourceRepositoryUri': 'https://github.com/acme/r1', limit: '150' }), ...(cursor ? { cursor } : {}) }, N);
        seen.push(...rows.slice(0, 150).map((r) => r.index));
        if (rows.length <= 150) break;
        cursor = { timestamp: rows[149]!.timestamp, index: rows[149]!.index };
      }
      assert.deepEqual(seen, expected, JSON.stringify(params));
    }
    assert.equal(index.query(q({ issuer: 'https://issuer.test', limit: '1000' }), N).length, 1001, 'a dense condition alone: limit + 1 rows');
    assert.equal(index.query(q({ san: 'https://x/**', 'ext.sourceRepositoryUri': 'https://github.com/acme/**', limit: '1000' }), N).length, 1001);
  });

  it('renders a result from its own terms: every SAN once, in the order first indexed, and the V2 issuer over .1', () => {
    const two = entry(0, 'https://x/two');
    const sans = [
      { type: 'uri' as const, value: 'https://x/two' },
      { type: 'email' as const, value: 'two@x.test' },
      { type: 'uri' as const, value: 'https://x/two' },
    ];
    const byOid = { '1.3.6.1.4.1.57264.1.1': 'https://v1.test', '1.3.6.1.4.1.57264.1.8': 'https://issuer.test', '1.3.6.1.4.1.57264.1.99': 'unnamed' };
    index.add([entry(1, 'https://x/one'), { ...two, entry: { ...two.entry, identity: { ...two.entry.identity, sans, extensionsByOid: byOid } } }]);
    const [row] = index.query(q({ san: 'two@x.test' }), 2);
    assert.deepEqual(row, {
      index: 0,
      timestamp: two.timestamp,
      precert: true,
      san: 'https://x/two',
      sans: sans.slice(0, 2),
      issuer: 'https://issuer.test',
      serial: '80',
      keyFingerprint: '0'.repeat(64),
      notBefore: two.entry.identity.notBefore.toISOString(),
      extensions: { issuer: 'https://issuer.test', '1.3.6.1.4.1.57264.1.99': 'unnamed' },
    });
    assert.equal(index.query(q({ issuer: 'https://v1.test', 'ext.1.3.6.1.4.1.57264.1.99': 'unnamed' }), 2)[0]?.index, 0);
  });

  it('forgets the string ids a failed add cached: its transaction rolled their rows back', () => {
    const failing = { ...entry(0, 'https://x/rolled-back'), timestamp: {} as unknown as number };
    assert.throws(() => index.add([failing]), RangeError);
    index.add([entry(0, 'https://x/rolled-back')]);
    assert.deepEqual(index.query(q({ san: 'https://x/rolled-back' }), 1).map((r) => r.san), ['https://x/rolled-back']);
  });

  it('rebuilds from the log an index that an earlier schema wrote', () => {
    const dir = mkdtempSync(join(tmpdir(), 'fulgor-search-'));
    try {
      const file = join(dir, 'search-index.sqlite');
      const old = new Database(file);
      old.exec("CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID; INSERT INTO meta VALUES ('schema', '2'), ('size', '7'), ('log', 'log-a');");
      old.exec('CREATE TABLE entries (idx INTEGER PRIMARY KEY, ts INTEGER NOT NULL); CREATE TABLE terms (term INTEGER, idx INTEGER); CREATE INDEX terms_by_idx ON terms (idx);');
      old.close();
      const reopened = openSearchIndex(file);
      try {
        assert.equal(reopened.size(), 0);
        assert.equal(reopened.logId(), undefined, 'the indexer resets it and catches up from entry 0');
        reopened.reset('log-a');
        reopened.add([entry(0, 'https://x/0')]);
        assert.deepEqual(reopened.query(q({ san: 'https://x/0' }), 1).map((r) => r.index), [0]);
      } finally {
        reopened.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('checks query parameters', () => {
    assert.equal(q({ since: '2026-12-01' }).since, Date.UTC(2026, 11, 1));
    assert.equal(q({ until: '2026-12-01' }).until, Date.UTC(2026, 11, 2), 'a bare until date includes that day');
    assert.equal(q({ since: '2026-12-01T10:00:00+01:00' }).since, Date.UTC(2026, 11, 1, 9));
    assert.equal(q({ limit: '5000' }).limit, 1000, 'capped');
    assert.equal(q({}).limit, 100);
    assert.deepEqual(q({ 'ext.issuer': 'x' }).ext[0]!.oids, ['1.3.6.1.4.1.57264.1.1', '1.3.6.1.4.1.57264.1.8']);
    const bads: Record<string, string>[] = [{ since: '2026-13-01' }, { until: '2026-12-01', since: '2026-12-03' }, { key: 'zz' }, { 'ext.1.2.x': 'a' }, { cursor: 'e30' }, { foo: 'x' }];
    for (const bad of bads) assert.throws(() => q(bad), SearchQueryError, JSON.stringify(bad));
  });
});
