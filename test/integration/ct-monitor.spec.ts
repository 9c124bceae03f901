// "A standard CT monitor pointed at the log over HTTP finds nothing wrong": SSLMate certspotter (Debian bookworm
// package, 0.16.0) monitors the real Fulgor companion log over loopback HTTP. It checks every STH signature against the
// key in its log list, downloads every entry with get-entries, parses each leaf (precert TBS, X.509 cert), checks that
// the precertificate in extra_data matches the TBS in leaf_input, and recomputes the Merkle root against the STH;
// with -start_at_end it rebuilds the tree from get-proof-by-hash instead. See ct-log.md §6.1 and helpers/certspotter.ts.
// Skipped (with the reason printed) where certspotter is not installed: `apt-get install certspotter`.
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createPrivateKey, generateKeyPairSync, webcrypto } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KEY_FILES, loadKeys } from '../../config/keys-dir.js';
import { certspotterVersion, logIdOf, runCertspotterOnce, writeLogList, type CertspotterRun } from '../helpers/certspotter.js';
import { clientKey, startFulgor, v2Request, type TestFulgor } from '../helpers/fulgor.js';
import { startIssuer, type TestIssuer } from '../helpers/oidc-issuer.js';
import { x509 } from '../helpers/x509.js';

const GITHUB_SUB = 'repo:acme/app:ref:refs/heads/main';
const DNS_NAME = 'ct-monitor.fulgor.test';

interface RawEntry {
  leaf_input: string;
  extra_data: string;
}

const b64 = (s: string) => Buffer.from(s, 'base64');

/** Everything certspotter said, for assertion messages. */
const transcript = (r: CertspotterRun) =>
  `certspotter ${r.args.join(' ')}\nexit=${r.exitCode} signal=${r.signal} timedOut=${r.timedOut}\n--- stderr\n${r.stderr}--- stdout\n${r.stdout}`;

describe('integration: certspotter (a standard CT monitor) audits the companion log over HTTP', function () {
  this.timeout(120_000);

  let github: TestIssuer, email: TestIssuer;
  let fulgor: TestFulgor | undefined;
  let work: string;
  let logId: Buffer;
  let goodList: string;
  let watchlist: string;
  let proxy: Server | undefined;
  let proxyUrl: string;
  let tamper: (entries: RawEntry[], start: number) => RawEntry[] = (e) => e;

  const sth = async () =>
    (await (await fetch(`${fulgor!.ctUrl}/ct/v1/get-sth`)).json()) as { tree_size: number; sha256_root_hash: string };

  async function issue(n: number): Promise<void> {
    for (let i = 0; i < n; i++) {
      const key = clientKey();
      const res =
        i % 3 === 2
          ? await fulgor!.post('/api/v2/signingCert', v2Request(await email.mint('email'), key, 'dev@example.com'))
          : await fulgor!.post('/api/v2/signingCert', v2Request(await github.mint('github'), key, GITHUB_SUB));
      assert.equal(res.status, 200, res.text);
    }
  }

  /** add-chain of an ordinary (non-precert) code-signing leaf with a DNS SAN, signed with the test CA's intermediate key. */
  async function addDnsCert(): Promise<void> {
    const keys = loadKeys(fulgor!.keysDir);
    const intermediate = new x509.X509Certificate(keys.caChain[0]!);
    const subtle = x509.cryptoProvider.get().subtle;
    const alg = { name: 'ECDSA', namedCurve: 'P-256' };
    const signingKey = await subtle.importKey('pkcs8', createPrivateKey(readFileSync(join(fulgor!.keysDir, KEY_FILES.caKey))).export({ type: 'pkcs8', format: 'der' }), alg, false, ['sign']);
    const leafKeys = (await subtle.generateKey(alg, true, ['sign', 'verify'])) as { publicKey: webcrypto.CryptoKey; privateKey: webcrypto.CryptoKey };
    const leaf = await x509.X509CertificateGenerator.create({
      serialNumber: '01' + Date.now().toString(16),
      subject: `CN=${DNS_NAME}`,
      issuer: intermediate.subjectName,
      notBefore: new Date(Date.now() - 60_000),
      notAfter: new Date(Date.now() + 3_600_000),
      signingAlgorithm: { name: 'ECDSA', hash: 'SHA-256' },
      publicKey: leafKeys.publicKey,
      signingKey,
      extensions: [
        new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
        new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.codeSigning]),
        new x509.SubjectAlternativeNameExtension([{ type: 'dns', value: DNS_NAME }]),
      ],
    });
    const res = await fetch(`${fulgor!.ctUrl}/ct/v1/add-chain`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ chain: [Buffer.from(leaf.rawData).toString('base64'), keys.caChain[0]!.toString('base64')] }),
    });
    assert.equal(res.status, 200, await res.text());
  }

  const run = (o: { logList?: string; stateDir?: string; startAtEnd?: boolean; logId?: Buffer } = {}) =>
    runCertspotterOnce({
      logList: o.logList ?? goodList,
      watchlist,
      stateDir: o.stateDir ?? mkdtempSync(join(work, 'state-')),
      logId: o.logId ?? logId,
      ...(o.startAtEnd ? { startAtEnd: true } : {}),
    });

  function assertClean(r: CertspotterRun): void {
    assert.equal(r.timedOut, false, `no end of pass seen\n${transcript(r)}`);
    assert.deepEqual(r.problems, [], `certspotter reported problems\n${transcript(r)}`);
    assert.deepEqual(r.malformed, [], `certspotter recorded malformed entries\n${transcript(r)}`);
    assert.equal(r.exitCode, 0, transcript(r));
  }

  before(async function () {
    const version = certspotterVersion();
    if (!version) {
      console.log('    [ct-monitor] SKIPPED: `certspotter` is not on PATH (Debian/Ubuntu: apt-get install certspotter)');
      this.skip();
    }
    console.log(`    [ct-monitor] using ${version}`);
    work = mkdtempSync(join(tmpdir(), 'fulgor-ct-monitor-'));
    [github, email] = await Promise.all([startIssuer('/gh'), startIssuer('/mail')]);
    fulgor = await startFulgor({
      OIDCIssuers: {
        [github.url]: { IssuerURL: github.url, ClientID: 'sigstore', Type: 'github-workflow' },
        [email.url]: { IssuerURL: email.url, ClientID: 'sigstore', Type: 'email' },
      },
    });
    logId = logIdOf(fulgor.ctLogSpki);
    goodList = join(work, 'loglist.json');
    writeLogList(goodList, [{ spki: fulgor.ctLogSpki, url: fulgor.ctUrl, description: 'Fulgor companion log' }]);
    watchlist = join(work, 'watchlist');
    writeFileSync(watchlist, `# certspotter matches DNS names only; Fulcio-style leaves carry URI/email SANs\n.fulgor.test\n`);

    // A pass-through proxy in front of the log whose get-entries responses the teeth tests can corrupt.
    proxy = createServer((req, res) => {
      void (async () => {
        const upstream = await fetch(`${fulgor!.ctUrl}${req.url}`);
        let body = await upstream.text();
        const u = new URL(req.url!, 'http://proxy');
        if (upstream.ok && u.pathname.endsWith('/ct/v1/get-entries')) {
          const json = JSON.parse(body) as { entries: RawEntry[] };
          body = JSON.stringify({ entries: tamper(json.entries, Number(u.searchParams.get('start'))) });
        }
        res.writeHead(upstream.status, { 'content-type': upstream.headers.get('content-type') ?? 'application/json' });
        res.end(body);
      })().catch((e: unknown) => {
        res.writeHead(502).end(String(e));
      });
    });
    await new Promise<void>((r) => proxy!.listen(0, '127.0.0.1', () => r()));
    proxyUrl = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`;
  });

  after(async () => {
    if (proxy) await new Promise<void>((r) => (proxy!.close(() => r()), proxy!.closeAllConnections()));
    if (fulgor) await fulgor.close();
    await Promise.all([github?.close(), email?.close()]);
    if (work) rmSync(work, { recursive: true, force: true });
  });

  let stateDir: string;
  let size: number;

  it('downloads and verifies every entry up to the current STH and reports nothing wrong (10 precerts + 1 cert)', async () => {
    await issue(10);
    await addDnsCert();
    const head = await sth();
    size = head.tree_size;
    assert.equal(size, 11, 'one precert entry per issued certificate, plus the add-chain entry');

    stateDir = mkdtempSync(join(work, 'state-'));
    const r = await run({ stateDir });
    console.log(`    [ct-monitor] certspotter: ${r.info.join(' | ')}`);
    assertClean(r);
    assert.ok(r.info.some((l) => l.endsWith(`in range [0, ${size})`)), transcript(r));
    assert.ok(r.info.some((l) => l.startsWith('finished downloading entries from')), transcript(r));
    // It advanced through the whole log and checked the root it computed against the signed head.
    assert.ok(r.state, transcript(r));
    assert.equal(r.state.download_position.size, size);
    assert.equal(r.state.verified_position.size, size);
    assert.equal(r.state.verified_sth?.tree_size, size);
    assert.equal(r.state.verified_sth?.sha256_root_hash, head.sha256_root_hash);
    assert.equal(r.state.verified_sth?.log_id, logId.toString('base64'));
    // The DNS-SAN certificate (the last entry) went all the way through parsing and watch-list matching.
    const found = r.stdout.trim().split('\n\n');
    assert.equal(found.length, 1, r.stdout);
    assert.match(found[0]!, new RegExp(`DNS Name = ${DNS_NAME.replace(/\./g, '\\.')}`));
    assert.match(found[0]!, new RegExp(`Log Entry = ${size - 1} @ `));
    assert.doesNotMatch(r.stdout, /Unable to determine/);
    assert.equal(readdirSync(join(stateDir, 'certs')).length, 1, 'the match was saved');
  });

  it('continues from its saved state when the log grows, verifying the new root over old + new entries', async () => {
    assert.ok(stateDir, 'needs the previous test');
    await issue(4);
    const head = await sth();
    assert.equal(head.tree_size, size + 4);
    const r = await run({ stateDir });
    console.log(`    [ct-monitor] certspotter: ${r.info.join(' | ')}`);
    assertClean(r);
    assert.ok(r.info.some((l) => l.endsWith(`in range [${size}, ${size + 4})`)), transcript(r));
    assert.equal(r.state?.verified_sth?.tree_size, size + 4);
    assert.equal(r.state?.verified_sth?.sha256_root_hash, head.sha256_root_hash);
    assert.equal(r.stdout, '', 'nothing new matches, nothing is malformed');
    size += 4;
  });

  it('-start_at_end: rebuilds the tree from get-entries + get-proof-by-hash and agrees with the STH', async () => {
    const head = await sth();
    const r = await run({ startAtEnd: true });
    console.log(`    [ct-monitor] certspotter -start_at_end: ${r.info.join(' | ')}`);
    assertClean(r);
    assert.ok(r.info.some((l) => l.endsWith(`(starting from ${head.tree_size})`)), transcript(r));
    assert.equal(r.state?.verified_sth?.tree_size, head.tree_size);
    assert.equal(r.state?.verified_position.size, head.tree_size);
  });

  describe('the check has teeth', () => {
    it('rejects the STHs when the log list has another key for the log', async () => {
      const wrongSpki = generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).publicKey.export({ type: 'spki', format: 'der' });
      const list = join(work, 'wrong-key.json');
      writeLogList(list, [{ spki: wrongSpki, url: fulgor!.ctUrl }]);
      const r = await run({ logList: list, logId: logIdOf(wrongSpki) });
      console.log(`    [ct-monitor] wrong key -> ${r.problems.join(' | ')}`);
      assert.equal(r.timedOut, false, transcript(r));
      assert.equal(r.problems.length, 1, transcript(r));
      assert.match(r.problems[0]!, /^error fetching latest STH for .*: STH returned by server has invalid signature/);
      assert.equal(r.state, null, 'it never got to the entries');
    });

    it('refuses a log list whose log_id is not SHA-256 of the key', async () => {
      const list = join(work, 'bad-id.json');
      writeLogList(list, [{ spki: fulgor!.ctLogSpki, url: fulgor!.ctUrl, logId: Buffer.alloc(32, 7) }]);
      const r = await run({ logList: list });
      console.log(`    [ct-monitor] bad log_id -> ${r.problems.join(' | ')}`);
      assert.equal(r.exitCode, 1, transcript(r));
      assert.match(r.stderr, /log ID does not match log key/);
    });

    it('notices a leaf that does not hash to the signed root (one timestamp byte changed in transit)', async () => {
      tamper = (entries, start) =>
        entries.map((e, i) => {
          if (start + i !== 3) return e;
          const leaf = b64(e.leaf_input);
          leaf[9] = leaf[9]! ^ 1; // lowest byte of the timestamp: still a well-formed leaf
          return { ...e, leaf_input: leaf.toString('base64') };
        });
      try {
        const head = await sth();
        const list = join(work, 'proxy-leaf.json');
        writeLogList(list, [{ spki: fulgor!.ctLogSpki, url: proxyUrl }]);
        const r = await run({ logList: list });
        console.log(`    [ct-monitor] tampered leaf -> ${r.problems.join(' | ')}`);
        assert.equal(r.problems.length, 1, transcript(r));
        assert.match(
          r.problems[0]!,
          new RegExp(`^error verifying \\S+ at tree size ${head.tree_size}: the STH root hash \\([0-9a-f]{64}\\) does not match the entries returned by the log`),
        );
        assert.equal(r.state?.verified_sth, null, 'nothing was accepted as verified');
        assert.equal(r.state?.verified_position.size, 0);
      } finally {
        tamper = (e) => e;
      }
    });

    it('notices extra_data whose precertificate does not match the leaf TBS (extra_data of entries 1 and 2 swapped)', async () => {
      const all = ((await (await fetch(`${fulgor!.ctUrl}/ct/v1/get-entries?start=0&end=2`)).json()) as { entries: RawEntry[] }).entries;
      assert.ok(all.every((e) => b64(e.leaf_input).readUInt16BE(10) === 1), 'entries 0..2 are precert entries');
      tamper = (entries, start) =>
        entries.map((e, i) => {
          const idx = start + i;
          return idx === 1 ? { ...e, extra_data: all[2]!.extra_data } : idx === 2 ? { ...e, extra_data: all[1]!.extra_data } : e;
        });
      try {
        const head = await sth();
        const list = join(work, 'proxy-extra.json');
        writeLogList(list, [{ spki: fulgor!.ctLogSpki, url: proxyUrl }]);
        const r = await run({ logList: list });
        console.log(`    [ct-monitor] swapped extra_data -> malformed ${r.malformed.map((m) => m.index).join(',')}`);
        assert.deepEqual(r.problems, [], 'the Merkle tree does not cover extra_data, so the root still verifies');
        assert.equal(r.state?.verified_sth?.tree_size, head.tree_size);
        assert.deepEqual(r.malformed.map((m) => m.index), [1, 2], transcript(r));
        for (const m of r.malformed) assert.match(m.text, /precertificate in extra_data does not match TBSCertificate in leaf_input/);
        assert.match(r.stdout, /Unable to determine if log entry matches your watchlist/);
      } finally {
        tamper = (e) => e;
      }
    });
  });
});
