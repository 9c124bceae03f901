import assert from 'node:assert/strict';
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

  it('answers 5xx and issues nothing when the CT log cannot be reached', async () => {
    const port = await new Promise<number>((resolve) => {
      const s = createServer().listen(0, '127.0.0.1', () => {
        const p = (s.address() as { port: number }).port;
        s.close(() => resolve(p));
      });
    });
    const broken = await startFulgor(config(), { ctLogUrl: `http://127.0.0.1:${port}` });
    try {
      const res = await broken.post('/api/v2/signingCert', v2Request(await issuer.mint('github'), clientKey(), SUB));
      assert.equal(res.status, 503, res.text);
      assert.equal(res.json.details[0].reason, 'CT_LOG_UNAVAILABLE');
      assert.ok(!res.text.includes('BEGIN CERTIFICATE'));
    } finally {
      await broken.close();
    }
  });

  it('uses an external RFC 6962 log (--ct-log-url) and checks its SCTs with the key given for it', async () => {
    const log = createLog({ signer: keySigner(generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).privateKey), roots: [fulgor.caChain[1]!], store: createMemoryStore() });
    const external = await listenLog(log, { host: '127.0.0.1', port: 0, prefix: 'test', logger: silentLogger });
    // Same keys dir as `fulgor`, so the external log accepts its chain.
    const spare = generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).publicKey.export({ type: 'spki', format: 'der' });
    try {
      for (const [key, status] of [[log.publicKeySpki, 200], [spare, 503]] as const) {
        const ca = await startFulgor(config(), { ctLogUrl: external.url, ctLogPublicKey: key, keysDir: fulgor.keysDir });
        try {
          const res = await ca.post('/api/v2/signingCert', v2Request(await issuer.mint('github'), clientKey(), SUB));
          assert.equal(res.status, status, res.text);
        } finally {
          await ca.close();
        }
      }
      assert.equal((await log.getSth()).treeSize, 2, 'both precertificates reached the external log');
    } finally {
      await external.close();
    }
  });
});
