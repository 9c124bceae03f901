import assert from 'node:assert/strict';
import { createServer as createHttpServer } from 'node:http';
import { createServer } from 'node:net';
import { X509Certificate } from 'node:crypto';
import { certToPem } from '../../lib/pem.js';
import { generateKeyPairSync } from 'node:crypto';
import { createLog, createMemoryStore } from '../../ct/index.js';
import { listenLog } from '../../ct/listen.js';
import { keySigner } from '../../lib/signer.js';
import { silentLogger } from '../../lib/log.js';
import { clientKey, startFulgor, v2Request, type TestFulgor } from '../helpers/fulgor.js';
import { startIssuer, type TestIssuer } from '../helpers/oidc-issuer.js';
import { makePki } from '../unit/ct/helpers.js';

const SUB = 'repo:acme/app:ref:refs/heads/main';

describe('integration: Fulcio’s other routes, legacy v1, and CT failure', () => {
  let issuer: TestIssuer;
  let fulgor: TestFulgor;
  const config = () => ({
    OIDCIssuers: { [issuer.url]: { IssuerURL: issuer.url, ClientID: 'sigstore', Type: 'github-workflow' } },
    MetaIssuers: { 'https://oidc.eks.*.amazonaws.com/id/*': { ClientID: 'sigstore', Type: 'email' } },
  });

  before(async () => {
    issuer = await startIssuer();
    fulgor = await startFulgor(config());
  });
  after(async () => {
    await fulgor.close();
    await issuer.close();
  });

  it('POST /api/v1/signingCert answers 201 with the PEM chain (cosign v2’s request, null CSR included)', async () => {
    const key = clientKey();
    const res = await fulgor.post(
      '/api/v1/signingCert',
      {
        publicKey: { content: Buffer.from(key.pem).toString('base64'), algorithm: 'ecdsa' },
        signedEmailAddress: key.prove(SUB),
        certificateSigningRequest: null,
      },
      { authorization: `Bearer ${await issuer.mint('github')}` },
    );
    assert.equal(res.status, 201, res.text);
    assert.match(res.headers.get('content-type') ?? '', /application\/pem-certificate-chain/);
    const certs = res.text.split(/(?<=-----END CERTIFICATE-----)\n/);
    assert.equal(certs.length, 3);
    assert.ok(!res.text.endsWith('\n'));
    assert.ok(new X509Certificate(certs[0]!).verify(new X509Certificate(certs[1]!).publicKey));
  });

  it('v1 without a key answers 400 before looking at the token', async () => {
    const res = await fulgor.post('/api/v1/signingCert', {});
    assert.equal(res.status, 400);
    assert.equal(res.json.details[0].reason, 'MISSING_PUBLIC_KEY');
  });

  it('GET /api/v2/trustBundle and /api/v1/rootCert serve the CA chain', async () => {
    const bundle = (await (await fetch(`${fulgor.caUrl}/api/v2/trustBundle`)).json()) as { chains: { certificates: string[] }[] };
    assert.deepEqual(bundle.chains, [{ certificates: fulgor.caChain.map((c) => certToPem(c)) }]);
    const root = await fetch(`${fulgor.caUrl}/api/v1/rootCert`);
    assert.equal(root.status, 200);
    assert.equal(await root.text(), fulgor.caChain.map((c) => certToPem(c)).join('\n').trim());
  });

  it('GET /api/v2/configuration lists issuers as Fulcio does', async () => {
    const cfg = (await (await fetch(`${fulgor.caUrl}/api/v2/configuration`)).json()) as { issuers: Record<string, unknown>[] };
    assert.deepEqual(cfg.issuers, [
      { issuerUrl: issuer.url, audience: 'sigstore', challengeClaim: 'sub', spiffeTrustDomain: '', issuerType: 'github-workflow', subjectDomain: '', skipEmailVerification: false },
      { wildcardIssuerUrl: 'https://oidc.eks.*.amazonaws.com/id/*', audience: 'sigstore', challengeClaim: 'email', spiffeTrustDomain: '', issuerType: 'email', subjectDomain: '', skipEmailVerification: false },
    ]);
  });

  it('GET /healthz, unknown paths (404) and wrong methods (501) in Fulcio’s shapes', async () => {
    const health = await fetch(`${fulgor.caUrl}/healthz`);
    assert.equal(health.status, 200);
    assert.equal(await health.text(), '{"status":"SERVING"}\n');
    const missing = await fetch(`${fulgor.caUrl}/api/v2/nothing`);
    assert.equal(missing.status, 404);
    assert.deepEqual(await missing.json(), { code: 5, message: 'Not Found', details: [] });
    const wrong = await fetch(`${fulgor.caUrl}/api/v2/signingCert`);
    assert.equal(wrong.status, 501);
    assert.deepEqual(await wrong.json(), { code: 12, message: 'Method Not Allowed', details: [] });
  });

  /** A fresh P-256 public key (DER SPKI) that signs nothing here. */
  const spareKey = () => generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).publicKey.export({ type: 'spki', format: 'der' });

  /** Starts a CA on `ctLogUrl` (same keys as `fulgor`), sends one issuance, and closes it. */
  async function issueVia(ctLogUrl: string, ctLogPublicKey: Buffer) {
    const ca = await startFulgor(config(), { ctLogUrl, ctLogPublicKey, keysDir: fulgor.keysDir });
    try {
      return { res: await ca.post('/api/v2/signingCert', v2Request(await issuer.mint('github'), clientKey(), SUB)), logLines: ca.logLines };
    } finally {
      await ca.close();
    }
  }

  it('refuses to start on an external log without its public key, saying where to get it', async () => {
    await assert.rejects(
      startFulgor(config(), { ctLogUrl: 'http://127.0.0.1:1/test', keysDir: fulgor.keysDir }),
      /--ct-log-public-key.*fulgor trust export.*ctfe\.pub.*operator/s,
    );
  });

  it('answers 503 CT_LOG_UNAVAILABLE and issues nothing when the CT log cannot be reached or fails (5xx)', async () => {
    const port = await new Promise<number>((resolve) => {
      const s = createServer().listen(0, '127.0.0.1', () => {
        const p = (s.address() as { port: number }).port;
        s.close(() => resolve(p));
      });
    });
    const failing = createHttpServer((_req, res) => void res.writeHead(500, { 'content-type': 'text/plain' }).end('internal error\n'));
    await new Promise<void>((r) => failing.listen(0, '127.0.0.1', () => r()));
    try {
      for (const url of [`http://127.0.0.1:${port}`, `http://127.0.0.1:${(failing.address() as { port: number }).port}`]) {
        const { res } = await issueVia(url, spareKey());
        assert.equal(res.status, 503, res.text);
        assert.equal(res.json.details[0].reason, 'CT_LOG_UNAVAILABLE');
        assert.ok(!res.text.includes('BEGIN CERTIFICATE'));
      }
    } finally {
      failing.closeAllConnections();
      await new Promise((r) => failing.close(r));
    }
  });

  it('uses an external RFC 6962 log (--ct-log-url) and answers 502 CT_LOG_REJECTED to an SCT its key does not verify', async () => {
    const log = createLog({ signer: keySigner(generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).privateKey), roots: [fulgor.caChain[1]!], store: createMemoryStore() });
    const external = await listenLog(log, { host: '127.0.0.1', port: 0, prefix: 'test', logger: silentLogger });
    // Same keys dir as `fulgor`, so the external log accepts its chain.
    try {
      const good = await issueVia(external.url, log.publicKeySpki);
      assert.equal(good.res.status, 200, good.res.text);
      // The log signs with its key; the CA was given another one: the SCT is not embedded, nothing is issued.
      const bad = await issueVia(external.url, spareKey());
      assert.equal(bad.res.status, 502, bad.res.text);
      assert.equal(bad.res.json.code, 13);
      assert.equal(bad.res.json.details[0].reason, 'CT_LOG_REJECTED');
      assert.match(bad.res.json.message, /^Error entering certificate in CTL: .*SCT/);
      assert.ok(!bad.res.text.includes('BEGIN CERTIFICATE'));
      assert.ok(bad.logLines.some((l) => l.includes('does not verify with the configured log public key')), 'the cause is logged');
      assert.equal((await log.getSth()).treeSize, 2, 'both precertificates reached the external log');
    } finally {
      await external.close();
    }
  });

  it('answers 502 CT_LOG_REJECTED, not 503, and issues nothing when the external log refuses the chain (400)', async () => {
    // A real Fulgor log that accepts another root only: it answers add-pre-chain with 400.
    const log = createLog({ signer: keySigner(generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).privateKey), roots: [(await makePki()).root.der], store: createMemoryStore() });
    const external = await listenLog(log, { host: '127.0.0.1', port: 0, logger: silentLogger });
    try {
      const { res, logLines } = await issueVia(external.url, log.publicKeySpki);
      assert.equal(res.status, 502, res.text);
      assert.equal(res.json.details[0].reason, 'CT_LOG_REJECTED');
      assert.match(res.json.message, /refused the precertificate \(HTTP 400\)/);
      assert.ok(!res.text.includes('BEGIN CERTIFICATE'));
      assert.ok(logLines.some((l) => l.includes('add-pre-chain: HTTP 400')), 'the log’s answer is logged');
      assert.equal((await log.getSth()).treeSize, 0);
    } finally {
      await external.close();
    }
  });
});
