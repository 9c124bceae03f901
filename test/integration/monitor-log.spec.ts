// The identity monitor's log handling against the real companion log over HTTP, through a real HTTP proxy that
// changes what the log says: get-entries answers shortened to two entries (as RFC 6962 allows) are followed to the
// end; entries that do not hash to the signed root are a log_inconsistent finding and advance nothing; a poll stopped
// between batches resumes from its state and still checks the whole range against the root.
import assert from 'node:assert/strict';
import { createPublicKey } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KEY_FILES } from '../../config/keys-dir.js';
import { IdentityMonitor, parseWatchRules, type Finding, type WatchRules } from '../../monitor/index.js';
import { clientKey, startFulgor, v2Request, type TestFulgor } from '../helpers/fulgor.js';
import { startIssuer, type TestIssuer } from '../helpers/oidc-issuer.js';

interface RawEntries {
  entries: { leaf_input: string; extra_data: string }[];
}

describe('integration: identity monitor over the real log through a proxy', function () {
  this.timeout(60_000);

  let github: TestIssuer;
  let fulgor: TestFulgor;
  let proxy: Server;
  let proxyUrl: string;
  let work: string;
  let spki: Buffer;
  let rules: WatchRules;
  /** Rewrites get-entries answers; counts them. */
  let rewrite: (body: RawEntries) => RawEntries = (b) => b;
  let getEntriesCalls = 0;
  const SIZE = 9;

  const monitor = (o: { statePath?: string; batchSize?: number } = {}) => {
    const reported: Finding[] = [];
    const warnings: string[] = [];
    const m = new IdentityMonitor({
      logUrl: proxyUrl,
      logPublicKeySpki: spki,
      rules,
      ...o,
      report: (line) => reported.push(JSON.parse(line) as Finding),
      warn: (w) => warnings.push(w),
    });
    return { m, reported, warnings };
  };

  before(async () => {
    work = mkdtempSync(join(tmpdir(), 'fulgor-monitor-log-'));
    github = await startIssuer('/gh');
    fulgor = await startFulgor({ OIDCIssuers: { [github.url]: { IssuerURL: github.url, ClientID: 'sigstore', Type: 'github-workflow' } } });
    spki = createPublicKey(readFileSync(join(fulgor.keysDir, KEY_FILES.ctPub), 'utf8')).export({ type: 'spki', format: 'der' });
    for (let i = 0; i < SIZE; i++) {
      const ref = i % 3 === 1 ? `refs/heads/topic-${i}` : 'refs/heads/main';
      const sub = `repo:acme/app:ref:${ref}`;
      const token = await github.mint('github', { claims: { sub, ref, job_workflow_ref: `acme/app/.github/workflows/release.yml@${ref}` } });
      const res = await fulgor.post('/api/v2/signingCert', v2Request(token, clientKey(), sub));
      assert.equal(res.status, 200, res.text);
    }
    const problems: string[] = [];
    rules = parseWatchRules(
      { rules: [{ name: 'topic-branches', match: { sourceRepositoryRef: ['refs/heads/topic-*'] } }] },
      'json',
      problems,
    )!;
    assert.deepEqual(problems, []);
    proxy = createServer((req, res) => {
      void (async () => {
        const upstream = await fetch(fulgor.ctUrl + req.url);
        let text = await upstream.text();
        if (req.url!.startsWith('/ct/v1/get-entries')) {
          getEntriesCalls++;
          if (upstream.status === 200) text = JSON.stringify(rewrite(JSON.parse(text) as RawEntries));
        }
        res.writeHead(upstream.status, { 'content-type': 'application/json' });
        res.end(text);
      })();
    });
    await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', () => r()));
    proxyUrl = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`;
  });

  afterEach(() => {
    rewrite = (b) => b;
    getEntriesCalls = 0;
  });

  after(async () => {
    proxy?.closeAllConnections();
    await new Promise((r) => proxy?.close(r));
    await Promise.all([fulgor?.close(), github?.close()]);
    rmSync(work, { recursive: true, force: true });
  });

  it('follows answers the log shortens to two entries, to the end, and checks them against the signed root', async () => {
    rewrite = (b) => ({ entries: b.entries.slice(0, 2) });
    const { m, reported, warnings } = monitor();
    const r = await m.poll();
    assert.deepEqual(warnings, []);
    assert.equal(r.inconsistent, false);
    assert.equal(r.entriesRead, SIZE);
    assert.equal(getEntriesCalls, Math.ceil(SIZE / 2));
    assert.deepEqual(reported.map((f) => f.kind === 'certificate' && f.index), [1, 4, 7]);
  });

  it('entries that do not hash to the signed root (reordered by the proxy) are log_inconsistent; nothing is saved', async () => {
    rewrite = (b) => ({ entries: [...b.entries].reverse() });
    const statePath = join(work, 'tampered.json');
    const { m, reported, warnings } = monitor({ statePath });
    const r = await m.poll();
    assert.equal(r.inconsistent, true);
    const last = reported[reported.length - 1]!;
    assert.equal(last.kind, 'log_inconsistent');
    assert.equal(last.kind === 'log_inconsistent' && last.reason, 'entries_mismatch');
    assert.match(warnings.join('\n'), /LOG INCONSISTENT \(entries_mismatch\)/);
    assert.equal(existsSync(statePath), false, 'no state written for entries the root does not cover');
  });

  it('a poll stopped between batches saves its progress; the next run resumes there and verifies the whole range', async () => {
    const statePath = join(work, 'partial.json');
    const first = monitor({ statePath, batchSize: 4 });
    let batches = 0;
    const r1 = await first.m.poll(() => batches++ >= 1);
    assert.equal(r1.entriesRead, 4);
    const saved = JSON.parse(readFileSync(statePath, 'utf8')) as { nextIndex: number; sth: { treeSize: number } };
    assert.deepEqual([saved.nextIndex, saved.sth.treeSize], [4, SIZE]);

    const second = monitor({ statePath, batchSize: 4 });
    const r2 = await second.m.poll();
    assert.equal(r2.inconsistent, false);
    assert.equal(r2.entriesRead, SIZE - 4);
    assert.deepEqual(
      [...first.reported, ...second.reported].map((f) => f.kind === 'certificate' && f.index),
      [1, 4, 7],
    );
    assert.equal((JSON.parse(readFileSync(statePath, 'utf8')) as { nextIndex: number }).nextIndex, SIZE);
  });
});
