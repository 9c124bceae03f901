// The audit log of a CA whose CT log is external (--ct-log-url, reached over HTTP): an issued line has the SCT's
// timestamp but ct_index null (add-pre-chain does not say the index), and the leaf hash finds the entry with
// get-proof-by-hash as README says; a log that cannot be reached gives a `refused` line with reason
// CT_LOG_UNAVAILABLE and the serial of the precertificate that was not logged, and counts a CT submission failure.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createCtClient, hashLeaf, merkleTreeLeaf, parseMerkleTreeLeaf } from '../../ct/index.js';
import { parsePemBlocks } from '../../lib/pem.js';
import { clientKey, startFulgor, v2Request, type TestFulgor } from '../helpers/fulgor.js';
import { startIssuer, type TestIssuer } from '../helpers/oidc-issuer.js';
import { scrape, sum } from '../helpers/prometheus.js';
import type { SigningBody } from '../helpers/response-body.js';

const SUB = 'repo:acme/app:ref:refs/heads/main';
const lines = (path: string) =>
  readFileSync(path, 'utf8')
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as Record<string, unknown>);

describe('integration: audit lines with an external CT log', function () {
  this.timeout(60_000);
  let work: string;
  let github: TestIssuer;
  let logHost: TestFulgor;
  let closedUrl: string;
  const config = () => ({ OIDCIssuers: { [github.url]: { IssuerURL: github.url, ClientID: 'sigstore', Type: 'github-workflow' } } });

  before(async () => {
    work = mkdtempSync(join(tmpdir(), 'fulgor-audit-ext-'));
    github = await startIssuer('/gh');
    logHost = await startFulgor(config());
    const closed = createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    closedUrl = `http://127.0.0.1:${(closed.address() as { port: number }).port}`;
    await new Promise<void>((r) => closed.close(() => r()));
  });
  after(async () => {
    await logHost.close();
    await github.close();
    rmSync(work, { recursive: true, force: true });
  });

  it('an issued line has the SCT timestamp and ct_index null; the leaf hash finds the entry', async () => {
    const auditLog = join(work, 'external.log');
    const ca = await startFulgor(config(), { ctLogUrl: logHost.ctUrl, ctLogPublicKey: logHost.ctLogSpki, keysDir: logHost.keysDir, auditLog });
    try {
      const res = await ca.post('/api/v2/signingCert', v2Request(await github.mint('github'), clientKey(), SUB));
      assert.equal(res.status, 200, res.text);
      const leaf = parsePemBlocks((res.json as SigningBody).signedCertificateEmbeddedSct.chain.certificates[0]!)[0]!.der;
      const [line] = lines(auditLog);
      assert.equal(line!['event'], 'issued');
      assert.equal(line!['fingerprint'], createHash('sha256').update(leaf).digest('hex'));
      assert.equal(line!['ct_index'], null);
      assert.equal(typeof line!['sct_timestamp'], 'number');
      // As README says: the entry is found by the hash of its leaf.
      const client = createCtClient({ url: logHost.ctUrl });
      const sth = await client.getSth();
      const [entry] = await client.getEntries(sth.treeSize - 1, sth.treeSize - 1);
      const logged = parseMerkleTreeLeaf(entry!.leafInput);
      assert.equal(logged.timestamp, line!['sct_timestamp']);
      const proof = await client.getProofByHash(hashLeaf(merkleTreeLeaf(logged)), sth.treeSize);
      assert.equal(proof.leafIndex, sth.treeSize - 1);
    } finally {
      await ca.close();
    }
  });

  it('a CT log that cannot be reached gives a refused line with the unlogged serial, and a CT failure metric', async () => {
    const auditLog = join(work, 'closed.log');
    const ca = await startFulgor(config(), { ctLogUrl: closedUrl, ctLogPublicKey: logHost.ctLogSpki, keysDir: logHost.keysDir, auditLog });
    let closed = false;
    try {
      const res = await ca.post('/api/v2/signingCert', v2Request(await github.mint('github'), clientKey(), SUB));
      assert.equal(res.status, 503, res.text);
      const metrics = await scrape(ca.caUrl);
      assert.equal(sum(metrics, 'fulgor_ct_submission_failures_total', { reason: 'CT_LOG_UNAVAILABLE' }), 1);
      assert.equal(sum(metrics, 'fulgor_ct_submission_duration_seconds_count', { outcome: 'CT_LOG_UNAVAILABLE' }), 1);
      assert.equal(sum(metrics, 'fulgor_refusals_total', { reason: 'CT_LOG_UNAVAILABLE' }), 1);
      // The refusal's line is not waited for by the answer; close() writes what is pending.
      await ca.close();
      closed = true;
      const [line] = lines(auditLog);
      assert.equal(line!['event'], 'refused');
      assert.equal(line!['reason'], 'CT_LOG_UNAVAILABLE');
      assert.equal(line!['request_id'], res.headers.get('x-request-id'));
      assert.match(line!['serial'] as string, /^[0-9a-f]{40}$/);
      assert.equal(line!['fingerprint'], null);
      assert.equal(line!['ct_index'], null);
      assert.match(line!['public_key_fingerprint'] as string, /^[0-9a-f]{64}$/);
    } finally {
      if (!closed) await ca.close();
    }
  });
});
