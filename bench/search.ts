// The search index (search/): indexing throughput, query latency and bytes per entry at a given log size.
// Entries are real Fulgor precertificates (ca/, development CA) for TEMPLATES varied identities (GitHub workflows in
// 50 organisations and 400 repositories, branch and tag refs, 10% email identities), each logged entry a template's
// TBS with the entry number written into its serial, at 10 ms intervals: precertificate entries carry the TBS only
// (no signature), so the log entries are well-formed and distinct without a signature each. Indexing reads them
// from an in-process source (no store, no HTTP: the index's own cost), into an SQLite file in a temp dir. Queries are
// timed on the index (first page, limit 100); one more row times the whole search (tree head + catch-up check +
// query + 100 inclusion proofs) against a memory log of the small size.
import { createHash, generateKeyPairSync } from 'node:crypto';
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { createCertificateAuthority } from '../ca/authority.js';
import { clientKeyFromSpki } from '../ca/client-key.js';
import { createDevCa } from '../ca/dev-ca.js';
import { createIssuingCa } from '../ca/issuing-ca.js';
import { parseCertificate, precertTbs } from '../ct/certificate.js';
import { dedupKey, createLog } from '../ct/log.js';
import { hashLeaf, inclusionProof } from '../ct/merkle.js';
import { createMemoryStore } from '../ct/memory-store.js';
import { issuerKeyHash, merkleTreeLeaf } from '../ct/structures.js';
import { systemClock } from '../lib/clock.js';
import { parseTbsCertificate } from '../lib/x509.js';
import { keySigner } from '../lib/signer.js';
import type { Principal } from '../oidc/principal.js';
import { createIndexer, openSearchIndex, parseSearchQuery, search, type EntrySource, type SearchParams } from '../search/index.js';
import { newLogSigner } from './pki.js';
import { fmt, fmtInt, log, now, prng, summarize, tempDir, type Summary } from './util.js';

const TEMPLATES = 2000;
const ISSUER = 'https://token.actions.githubusercontent.com';
const BASE_TS = Date.UTC(2026, 11, 1);
const STEP_MS = 10;

export interface SearchBenchResult {
  readonly size: number;
  readonly indexMs: number;
  readonly entriesPerSecond: number;
  readonly bytesPerEntry: number;
  readonly queries: { readonly name: string; readonly example: string; readonly results: number; readonly latency: Summary }[];
  readonly endToEnd?: { readonly size: number; readonly latency: Summary };
}

function principal(t: number): Principal {
  if (t % 10 === 9) {
    const email = `user${t}@corp${Math.floor(t / 10) % 20}.example`;
    return { name: email, san: { kind: 'email', value: email }, extensions: { issuer: 'https://accounts.example.com' } };
  }
  const org = `org${Math.floor(t / 10) % 50}`;
  const repo = `${org}/repo${t % 400}`;
  const ref = t % 7 === 0 ? `refs/tags/v1.${t}` : 'refs/heads/main';
  const workflow = `https://github.com/${repo}/.github/workflows/release.yml@${ref}`;
  return {
    name: `repo:${repo}:ref:${ref}`,
    san: { kind: 'uri', value: workflow },
    extensions: {
      issuer: ISSUER,
      githubWorkflowRepository: repo,
      githubWorkflowRef: ref,
      buildSignerUri: workflow,
      runnerEnvironment: 'github-hosted',
      sourceRepositoryUri: `https://github.com/${repo}`,
      sourceRepositoryRef: ref,
      buildConfigUri: workflow,
      subject: `repo:${repo}:ref:${ref}`,
    },
  };
}

interface Template {
  readonly tbs: Buffer;
  /** Offset of the serial's last four bytes in tbs. */
  readonly serialAt: number;
  readonly issuerKeyHash: Buffer;
  /** SHA-256 of the SPKI, hex: what `key=` finds. */
  readonly key: string;
  readonly san: string;
}

async function templates(): Promise<{ list: Template[]; root: Buffer }> {
  const dev = await createDevCa({ organization: 'Fulgor Bench' });
  const ca = createCertificateAuthority(createIssuingCa([dev.intermediate, dev.root], keySigner(dev.intermediateKey)), { clock: systemClock });
  const ikh = issuerKeyHash(parseCertificate(dev.intermediate).spki);
  const list: Template[] = [];
  for (let t = 0; t < TEMPLATES; t++) {
    const client = clientKeyFromSpki(generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).publicKey.export({ type: 'spki', format: 'der' }));
    const tbs = precertTbs(parseCertificate((await ca.precertificate(principal(t), client)).der));
    const parsed = parseTbsCertificate(tbs);
    const key = createHash('sha256').update(parsed.spki).digest('hex');
    list.push({ tbs, serialAt: tbs.indexOf(parsed.serial) + parsed.serial.length - 4, issuerKeyHash: ikh, key, san: principal(t).san.value });
  }
  return { list, root: dev.root };
}

function leafAt(list: readonly Template[], i: number): { leafInput: Buffer; timestamp: number; entry: { type: 'precert'; issuerKeyHash: Buffer; tbsCertificate: Buffer } } {
  const t = list[i % list.length]!;
  const tbs = Buffer.from(t.tbs);
  tbs.writeUInt32BE(i >>> 0, t.serialAt);
  const timestamp = BASE_TS + i * STEP_MS;
  const entry = { type: 'precert' as const, issuerKeyHash: t.issuerKeyHash, tbsCertificate: tbs };
  return { leafInput: merkleTreeLeaf({ timestamp, entry, extensions: Buffer.alloc(0) }), timestamp, entry };
}

const serialOf = (list: readonly Template[], i: number): string => {
  const t = list[i % list.length]!;
  const tbs = Buffer.from(t.tbs);
  tbs.writeUInt32BE(i >>> 0, t.serialAt);
  return parseTbsCertificate(tbs).serial.toString('hex');
};

export async function benchSearch(o: { size: number; smallSize: number; queries: number; seed: number }): Promise<SearchBenchResult> {
  log(`search: making ${TEMPLATES} precertificate templates`);
  const { list, root } = await templates();
  const tmp = await tempDir('search');
  const file = join(tmp.dir, 'search-index.sqlite');
  const index = openSearchIndex(file);
  try {
    const source: EntrySource = {
      logId: 'bench',
      size: async () => o.size,
      getLeaves: async (start, end) => Array.from({ length: Math.min(end, start + 1000) - start }, (_, k) => leafAt(list, start + k).leafInput),
    };
    log(`search: indexing ${fmtInt(o.size)} entries`);
    const t0 = now();
    await createIndexer(index, source).catchUp();
    const indexMs = now() - t0;
    index.close();
    const bytes = statSync(file).size;
    log(`search: indexed at ${fmtInt((o.size / indexMs) * 1000)} entries/s, ${fmt(bytes / o.size)} bytes/entry`);

    const reopened = openSearchIndex(file);
    const rand = prng(o.seed);
    const pick = (n: number) => Math.floor(rand() * n);
    const window = (ms: number) => {
      const from = BASE_TS + pick(o.size) * STEP_MS;
      return { since: new Date(from).toISOString(), until: new Date(from + ms).toISOString() };
    };
    const kinds: [string, () => SearchParams][] = [
      ['SAN exact', () => ({ san: list[pick(TEMPLATES)]!.san })],
      ['SAN prefix (`org7/**`)', () => ({ san: `https://github.com/org${pick(50)}/**` })],
      ['SAN glob (`*/repoN/…@refs/tags/*`)', () => ({ san: `https://github.com/*/repo${pick(400)}/.github/workflows/*@refs/tags/*` })],
      ['email glob (`*@corpN.example`)', () => ({ san: `*@corp${pick(20)}.example` })],
      ['ext.sourceRepositoryRef exact (rare tag)', () => ({ 'ext.sourceRepositoryRef': `refs/tags/v1.${pick(TEMPLATES / 7) * 7}` })],
      ['issuer + 1-hour window', () => ({ issuer: ISSUER, ...window(3_600_000) })],
      ['serial', () => ({ serial: serialOf(list, pick(o.size)) })],
      ['key fingerprint', () => ({ key: list[pick(TEMPLATES)]!.key })],
      ['time range only (1 minute)', () => window(60_000)],
    ];
    const queries: SearchBenchResult['queries'] = [];
    for (const [name, make] of kinds) {
      const samples: number[] = [];
      let results = 0;
      let example = '';
      for (let k = 0; k < o.queries + 10; k++) {
        const params = { ...make(), limit: '100' };
        const q = parseSearchQuery(params);
        const s = now();
        const rows = reopened.query(q, o.size);
        const ms = now() - s;
        if (k >= 10) {
          samples.push(ms);
          results += Math.min(rows.length, 100);
        }
        example = new URLSearchParams(params as Record<string, string>).toString();
      }
      queries.push({ name, example, results: results / o.queries, latency: summarize(samples) });
      log(`search: ${name}: median ${fmt(summarize(samples).median)} ms`);
    }
    reopened.close();

    // The whole search against a real (memory) log of the small size: tree head, catch-up check, query, 100 proofs.
    const store = createMemoryStore();
    const small = Array.from({ length: o.smallSize }, (_, i) => leafAt(list, i));
    for (let i = 0; i < small.length; i += 1000)
      await store.sequence(small.slice(i, i + 1000).map((l) => ({ leafInput: l.leafInput, extraData: Buffer.alloc(3), leafHash: hashLeaf(l.leafInput), dedupKey: dedupKey(l.entry), timestamp: l.timestamp })));
    const logRoots = [root];
    const ctLog = createLog({ signer: newLogSigner(), roots: logRoots, store });
    const smallIndex = openSearchIndex(':memory:');
    const indexer = createIndexer(smallIndex, { logId: 'bench-small', size: () => store.size(), getLeaves: async (s, e) => (await store.getEntries(s, Math.min(e, s + 1000))).map((x) => x.leafInput) });
    const proofs = { getSth: () => ctLog.getSth(), inclusionProof: (i: number, n: number) => inclusionProof(store, i, n) };
    await search(indexer, proofs, parseSearchQuery({}));
    const e2e: number[] = [];
    for (let k = 0; k < o.queries; k++) {
      const s = now();
      const answer = await search(indexer, proofs, parseSearchQuery({ san: `https://github.com/org${pick(50)}/**`, limit: '100' }));
      e2e.push(now() - s);
      if (answer.results.length === 0) throw new Error('end-to-end search found nothing');
    }
    smallIndex.close();
    return { size: o.size, indexMs, entriesPerSecond: (o.size / indexMs) * 1000, bytesPerEntry: bytes / o.size, queries, endToEnd: { size: o.smallSize, latency: summarize(e2e) } };
  } finally {
    await tmp.remove();
  }
}

export function searchReport(r: SearchBenchResult): string {
  const rows = r.queries.map((q) => `| ${q.name} | \`${q.example.slice(0, 90)}\` | ${fmt(q.results)} | ${fmt(q.latency.median)} | ${fmt(q.latency.p99)} |`);
  return [
    `\n## Search index (${fmtInt(r.size)} entries)\n`,
    '| indexing | bytes per entry (SQLite file) |',
    '|---|---|',
    `| ${fmtInt(r.entriesPerSecond)} entries/s (${fmt(r.indexMs / 1000)} s) | ${fmt(r.bytesPerEntry)} |`,
    '',
    `| query (first page, limit 100, ${r.queries[0]?.latency.n ?? 0} random instances) | example | results (avg) | median ms | p99 ms |`,
    '|---|---|---|---|---|',
    ...rows,
    ...(r.endToEnd
      ? ['', `Whole search (STH, catch-up check, query, inclusion proofs for up to 100 results) on a ${fmtInt(r.endToEnd.size)}-entry memory log: median ${fmt(r.endToEnd.latency.median)} ms, p99 ${fmt(r.endToEnd.latency.p99)} ms.`]
      : []),
    '',
  ].join('\n');
}
