// Search through the real server: certificates issued for GitHub and email identities by the real CA (real local
// OIDC issuers), logged by its companion log on a memory, file and Redis store, found through GET /api/v1/search by
// SAN (exact, prefix, glob), extension (by field name and OID), issuer, time range, serial and key; every result's
// inclusion proof checked against the returned STH with the log's key; pages cover every result once; bad queries 400.
import assert from 'node:assert/strict';
import { createHash, createPrivateKey, randomBytes, X509Certificate } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { hashLeaf, verifyInclusion, verifySth } from '../../ct/index.js';
import { dropRedisLog, probeRedis } from '../../ct/redis-store.js';
import { certificateIdentity } from '../../lib/certificate-identity.js';
import { sequence } from '../../lib/der.js';
import { parsePemBlocks } from '../../lib/pem.js';
import { keySigner } from '../../lib/signer.js';
import { parseCertificate } from '../../lib/x509.js';
import { CODE_SIGNING, ekuExtension, extension, makeCert, newKey } from '../unit/ct/helpers.js';
import { clientKey, startFulgor, v2Request, type TestFulgor } from '../helpers/fulgor.js';
import { startIssuer, type TestIssuer } from '../helpers/oidc-issuer.js';
import type { SigningBody } from '../helpers/response-body.js';

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

interface Result {
  index: number;
  timestamp: string;
  san: string;
  issuer: string;
  notBefore: string;
  serial: string;
  keyFingerprint: string;
  extensions: Record<string, string>;
  precert: boolean;
  inclusion: { treeSize: number; rootHash: string; auditPath: string[] };
}
interface Answer {
  results: Result[];
  sth: { tree_size: number; timestamp: number; sha256_root_hash: string; tree_head_signature: string };
  next: string | null;
}

/** One issued certificate and what the test knows about it. */
interface Issued {
  san: string;
  der: Buffer;
}

const githubClaims = (repo: string, ref: string) => ({
  sub: `repo:${repo}:ref:${ref}`,
  repository: repo,
  repository_owner: repo.split('/')[0],
  job_workflow_ref: `${repo}/.github/workflows/release.yml@${ref}`,
  workflow_ref: `${repo}/.github/workflows/release.yml@${ref}`,
  ref,
  ref_type: ref.startsWith('refs/tags/') ? 'tag' : 'branch',
});

const STORES = [
  { kind: 'memory', redis: false },
  { kind: 'file', redis: false },
  { kind: 'Redis', redis: true },
] as const;

for (const store of STORES) {
  describe(`search: GET /api/v1/search through the real log (${store.kind} store)`, function () {
    this.timeout(120_000);
    let github: TestIssuer, email: TestIssuer;
    let fulgor: TestFulgor | undefined;
    let dir: string | undefined;
    const prefix = `fulgor-test-search-${randomBytes(6).toString('hex')}`;
    const issued: Issued[] = [];
    let startedAt: number;
    let keptKeys: string | undefined;

    const storage = () => (store.kind === 'memory' ? 'memory' : store.kind === 'file' ? `file:${dir}` : REDIS_URL);
    const start = async (keysDir?: string) =>
      startFulgor(
        { OIDCIssuers: { [github.url]: { IssuerURL: github.url, ClientID: 'sigstore', Type: 'github-workflow' }, [email.url]: { IssuerURL: email.url, ClientID: 'sigstore', Type: 'email' } } },
        { ctStorage: storage(), ...(store.redis ? { ctRedisPrefix: prefix } : {}), ...(keysDir ? { keysDir } : {}) },
      );

    async function issue(token: string, name: string): Promise<Issued> {
      const res = await fulgor!.post('/api/v2/signingCert', v2Request(token, clientKey(), name));
      assert.equal(res.status, 200, res.text);
      const pem = (res.json as SigningBody).signedCertificateEmbeddedSct.chain.certificates[0]!;
      const der = parsePemBlocks(pem)[0]!.der;
      const one = { san: certificateIdentity(der).san!, der };
      issued.push(one);
      return one;
    }

    async function query(qs: string): Promise<Answer> {
      const res = await fetch(`${fulgor!.ctUrl}/api/v1/search?${qs}`);
      assert.equal(res.status, 200, await res.clone().text());
      assert.match(res.headers.get('content-type') ?? '', /^application\/json/);
      return (await res.json()) as Answer;
    }

    const sans = (a: Answer) => a.results.map((r) => r.san).sort();

    before(async function () {
      if (store.redis) {
        const reason = await probeRedis(REDIS_URL, 1_000);
        if (reason !== undefined) {
          console.warn(`      SKIPPED: no Redis reachable at ${REDIS_URL} (${reason}); set REDIS_URL to run these tests`);
          this.skip();
        }
      }
      if (store.kind === 'file') dir = mkdtempSync(join(tmpdir(), 'fulgor-search-ct-'));
      [github, email] = await Promise.all([startIssuer('/gh'), startIssuer('/mail')]);
      fulgor = await start();
      startedAt = Date.now();
      const gh = async (repo: string, ref: string) => {
        const claims = githubClaims(repo, ref);
        return issue(await github.mint('github', { claims }), claims.sub);
      };
      await gh('acme/app', 'refs/heads/main');
      await gh('acme/lib', 'refs/tags/v1.2.0');
      await gh('other/tool', 'refs/heads/main');
      for (const who of ['alice@acme.example', 'bob@other.example'])
        await issue(await email.mint('email', { claims: { sub: who, email: who } }), who);
    });

    after(async () => {
      await fulgor?.close();
      await Promise.all([github?.close(), email?.close()]);
      for (const d of [dir, keptKeys]) if (d) rmSync(d, { recursive: true, force: true });
      if (store.redis && fulgor) await dropRedisLog(REDIS_URL, prefix);
    });

    it('finds GitHub certificates by SAN prefix and glob, email ones by exact SAN and glob', async () => {
      assert.deepEqual(sans(await query('san=' + encodeURIComponent('https://github.com/acme/**'))), [
        'https://github.com/acme/app/.github/workflows/release.yml@refs/heads/main',
        'https://github.com/acme/lib/.github/workflows/release.yml@refs/tags/v1.2.0',
      ]);
      assert.deepEqual(sans(await query('san=' + encodeURIComponent('https://github.com/*/*/.github/workflows/*.yml@refs/heads/main'))), [
        'https://github.com/acme/app/.github/workflows/release.yml@refs/heads/main',
        'https://github.com/other/tool/.github/workflows/release.yml@refs/heads/main',
      ]);
      // `*` stops at `/`: one path segment only.
      assert.deepEqual(sans(await query('san=' + encodeURIComponent('https://github.com/acme/*'))), []);
      assert.deepEqual(sans(await query('san=alice%40acme.example')), ['alice@acme.example']);
      assert.deepEqual(sans(await query('san=' + encodeURIComponent('*@acme.example'))), ['alice@acme.example']);
      assert.deepEqual(sans(await query('san=' + encodeURIComponent('/^(alice|bob)@.*$/'))), ['alice@acme.example', 'bob@other.example']);
    });

    it('finds by Fulcio extension (field name or OID), by issuer, ANDed', async () => {
      assert.deepEqual(sans(await query('ext.sourceRepositoryRef=' + encodeURIComponent('refs/tags/v*'))), [
        'https://github.com/acme/lib/.github/workflows/release.yml@refs/tags/v1.2.0',
      ]);
      const byOid = await query('ext.1.3.6.1.4.1.57264.1.12=' + encodeURIComponent('https://github.com/other/tool'));
      assert.deepEqual(sans(byOid), ['https://github.com/other/tool/.github/workflows/release.yml@refs/heads/main']);
      assert.equal(byOid.results[0]!.extensions.sourceRepositoryUri, 'https://github.com/other/tool');
      assert.equal(byOid.results[0]!.extensions.issuer, github.url);
      assert.equal(byOid.results[0]!.precert, true);
      assert.deepEqual(sans(await query('issuer=' + encodeURIComponent(email.url))), ['alice@acme.example', 'bob@other.example']);
      assert.deepEqual(
        sans(await query(`issuer=${encodeURIComponent(github.url)}&ext.sourceRepositoryRef=refs%2Fheads%2Fmain&san=${encodeURIComponent('https://github.com/acme/**')}`)),
        ['https://github.com/acme/app/.github/workflows/release.yml@refs/heads/main'],
      );
    });

    it('finds by serial (as openssl prints it) and by public-key fingerprint', async () => {
      const target = issued[1]!;
      const cert = new X509Certificate(target.der);
      const colons = cert.serialNumber.toUpperCase().match(/../g)!.join(':');
      const bySerial = await query(`serial=${colons}`);
      assert.deepEqual(sans(bySerial), [target.san]);
      assert.equal(BigInt(`0x${bySerial.results[0]!.serial}`), BigInt(`0x${cert.serialNumber}`));
      const fingerprint = createHash('sha256').update(cert.publicKey.export({ type: 'spki', format: 'der' })).digest('hex');
      const byKey = await query(`key=${fingerprint}`);
      assert.deepEqual(sans(byKey), [target.san]);
      assert.equal(byKey.results[0]!.keyFingerprint, fingerprint);
      assert.equal(byKey.results[0]!.notBefore, new Date(cert.validFrom).toISOString());
    });

    it('filters by time range (RFC 3339 or date) and sorts by time', async () => {
      const all = await query('');
      assert.equal(all.results.length, issued.length);
      const times = all.results.map((r) => Date.parse(r.timestamp));
      assert.deepEqual(times, [...times].sort((a, b) => a - b));
      const later = new Date(Date.now() + 3_600_000).toISOString();
      assert.equal((await query(`since=${later}`)).results.length, 0);
      assert.equal((await query(`until=${new Date(startedAt - 3_600_000).toISOString()}`)).results.length, 0);
      const today = new Date().toISOString().slice(0, 10);
      assert.equal((await query(`since=${today}&until=${today}`)).results.length, issued.length);
      const middle = all.results[2]!.timestamp;
      assert.deepEqual(
        (await query(`since=${encodeURIComponent(middle)}`)).results.map((r) => r.index),
        all.results.filter((r) => Date.parse(r.timestamp) >= Date.parse(middle)).map((r) => r.index),
      );
    });

    it('proves every result: the STH verifies with the log key and each audit path leads from the logged leaf to its root', async () => {
      const answer = await query('');
      const sth = { treeSize: answer.sth.tree_size, timestamp: answer.sth.timestamp, rootHash: Buffer.from(answer.sth.sha256_root_hash, 'base64'), signature: Buffer.from(answer.sth.tree_head_signature, 'base64') };
      assert.ok(verifySth(sth, fulgor!.ctLogSpki));
      for (const r of answer.results) {
        assert.equal(r.inclusion.treeSize, sth.treeSize);
        assert.equal(r.inclusion.rootHash, answer.sth.sha256_root_hash);
        const entries = (await (await fetch(`${fulgor!.ctUrl}/ct/v1/get-entries?start=${r.index}&end=${r.index}`)).json()) as { entries: { leaf_input: string }[] };
        const leaf = Buffer.from(entries.entries[0]!.leaf_input, 'base64');
        const path = r.inclusion.auditPath.map((h) => Buffer.from(h, 'base64'));
        assert.ok(verifyInclusion(r.index, sth.treeSize, hashLeaf(leaf), path, sth.rootHash), `proof of ${r.index}`);
      }
    });

    it('pages with an opaque cursor: every result exactly once, in order', async () => {
      const seen: number[] = [];
      let cursor: string | null = null;
      let pages = 0;
      do {
        const page: Answer = await query(`limit=2${cursor ? `&cursor=${cursor}` : ''}`);
        assert.ok(page.results.length <= 2);
        seen.push(...page.results.map((r) => r.index));
        cursor = page.next;
        pages++;
      } while (cursor !== null && pages < 10);
      const all = (await query('limit=1000')).results.map((r) => r.index);
      assert.deepEqual(seen, all);
      assert.equal(new Set(seen).size, issued.length);
      assert.equal(pages, Math.ceil(issued.length / 2));
    });

    it('answers bad queries with 400 and a message naming the problem', async () => {
      const bad: [string, RegExp][] = [
        ['sans=x', /unknown parameter "sans"/],
        ['since=yesterday', /since must be an RFC 3339 time/],
        ['until=2026-02-30', /not a calendar date/],
        ['ext.noSuchField=x', /unknown extension "noSuchField"/],
        ['san=' + encodeURIComponent('/^(a$/'), /san: regex/],
        ['limit=0', /limit must be a positive integer/],
        ['cursor=!!', /cursor is not a cursor/],
        ['serial=xyz', /serial must be hex/],
        ['san=', /san is empty/],
        ['limit=1&limit=2', /limit was given more than once/],
      ];
      for (const [qs, message] of bad) {
        const res = await fetch(`${fulgor!.ctUrl}/api/v1/search?${qs}`);
        assert.equal(res.status, 400, qs);
        const body = (await res.json()) as { code: number; message: string };
        assert.equal(body.code, 400);
        assert.match(body.message, message, qs);
      }
      assert.equal((await fetch(`${fulgor!.ctUrl}/api/v1/search`, { method: 'POST' })).status, 405);
    });

    it('returns a SAN holding <script> (a certificate logged by add-chain) as JSON data', async () => {
      const intermediate = parsePemBlocks(readFileSync(join(fulgor!.keysDir, 'intermediate-ca.pem'), 'utf8'))[0]!.der;
      const caSigner = keySigner(createPrivateKey(readFileSync(join(fulgor!.keysDir, 'intermediate-ca.key.pem'), 'utf8')));
      const evil = '<script>alert(1)</script>@evil.example';
      const leaf = await makeCert({
        subject: 'x',
        issuerName: parseCertificate(intermediate).subject,
        issuerSigner: caSigner,
        subjectSpki: keySigner(newKey()).spki,
        notBefore: new Date(Date.now() - 60_000),
        exactExtensions: [ekuExtension([CODE_SIGNING]), extension('2.5.29.17', sequence(Buffer.concat([Buffer.from([0x81, evil.length]), Buffer.from(evil, 'latin1')])), true)],
      });
      const added = await fetch(`${fulgor!.ctUrl}/ct/v1/add-chain`, { method: 'POST', body: JSON.stringify({ chain: [leaf, intermediate].map((c) => c.toString('base64')) }) });
      assert.equal(added.status, 200, await added.text());
      const res = await fetch(`${fulgor!.ctUrl}/api/v1/search?san=${encodeURIComponent('**<script>**')}`);
      assert.match(res.headers.get('content-type')!, /^application\/json/);
      assert.equal(res.headers.get('x-content-type-options'), 'nosniff');
      const body = (await res.json()) as Answer;
      assert.deepEqual(body.results.map((r) => [r.san, r.precert]), [[evil, false]]);
      issued.push({ san: evil, der: leaf });
    });

    if (store.kind === 'file')
      it('rebuilds the index from the log when it is deleted', async () => {
        const before = await query('');
        const keysDir = fulgor!.keysDir;
        await fulgor!.close();
        const index = join(dir!, 'search-index.sqlite');
        assert.ok(existsSync(index), 'the file store keeps its index next to its entries');
        for (const f of [index, `${index}-wal`, `${index}-shm`]) rmSync(f, { force: true });
        fulgor = await start(keysDir);
        keptKeys = keysDir;
        const after = await query('');
        assert.deepEqual(after.results.map((r) => [r.index, r.san, r.serial]), before.results.map((r) => [r.index, r.san, r.serial]));
        assert.ok(existsSync(index));
      });
  });
}
