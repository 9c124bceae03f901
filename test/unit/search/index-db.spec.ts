// The search index on its own: query values classified as exact / prefix / glob / regex, the prefix range bound
// (no value starting with the prefix falls outside it, whatever code points follow), idempotent adds by log index in
// any order, and the query parameters' checks.
import assert from 'node:assert/strict';
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
