// server/routes.ts and server/app.ts: the method/path table, what each route answers and in which content type,
// that the routes hand the parsed request to the signing service, and the Fulcio-shaped 404 and 501 bodies. A real
// express app on port 0 with real parts (a dev CA chain, a parsed identity config, real metrics); the signing
// service is the boundary under the routes, so here it is one that records what it was given and answers a fixed
// chain (or a FulgorError), keeping these tests about the HTTP layer.
import assert from 'node:assert/strict';
import express from 'express';
import { createDevCa } from '../../../ca/dev-ca.js';
import { parseIdentityConfig } from '../../../oidc/identity-compile.js';
import { FulgorError } from '../../../lib/errors.js';
import { listenHttp, type Listening } from '../../../lib/listen.js';
import { memoryLogger } from '../../../lib/log.js';
import { certToPem } from '../../../lib/pem.js';
import { createApp, MAX_BODY_BYTES } from '../../../server/app.js';
import { createMetrics } from '../../../server/metrics.js';
import { KNOWN_PATHS, SIGNING_ROUTES } from '../../../server/routes.js';
import type { SigningRequest } from '../../../server/request.js';
import type { SigningService } from '../../../server/signing-service.js';

const ISSUER = 'https://token.actions.githubusercontent.com';
const PEM = '-----BEGIN PUBLIC KEY-----\nMFkw\n-----END PUBLIC KEY-----\n';

/** method → path → what a request with the right method gets. */
const ROUTES = [
  ['POST', '/api/v2/signingCert', 200, /^application\/json/],
  ['GET', '/api/v2/trustBundle', 200, /^application\/json/],
  ['GET', '/api/v2/configuration', 200, /^application\/json/],
  ['POST', '/api/v1/signingCert', 201, /^application\/pem-certificate-chain/],
  ['GET', '/api/v1/rootCert', 200, /^application\/pem-certificate-chain/],
  ['GET', '/metrics', 200, /^text\/plain; version=0\.0\.4/],
  ['GET', '/healthz', 200, /^application\/json/],
] as const;

const NOT_FOUND = { code: 5, message: 'Not Found', details: [] };
const NOT_ALLOWED = { code: 12, message: 'Method Not Allowed', details: [] };

describe('server/routes and server/app: Fulcio’s REST surface', () => {
  let server: Listening;
  let chain: Buffer[];
  const seen: SigningRequest[] = [];
  let failWith: FulgorError | undefined;
  let serving = true;
  const metrics = createMetrics();

  before(async () => {
    const dev = await createDevCa();
    chain = [dev.intermediate, dev.root];
    const leaf = dev.root; // any certificate: the routes only encode what the service returns
    const signing: SigningService = {
      async issue(req) {
        seen.push(req);
        if (failWith) throw failWith;
        return { chain: [leaf, ...chain] };
      },
    };
    const identity = parseIdentityConfig(JSON.stringify({ OIDCIssuers: { [ISSUER]: { IssuerURL: ISSUER, ClientID: 'sigstore', Type: 'github-workflow' } } }));
    const extra = express.Router().get('/hello', (_req, res) => void res.send('extra'));
    const app = createApp({ signing, caChain: chain, identity: () => identity, metrics, serving: () => serving, logger: memoryLogger(), extraRouters: [['/extra', extra]] });
    server = await listenHttp('127.0.0.1', 0, app);
  });
  after(() => server.close());
  beforeEach(() => {
    seen.splice(0);
    failWith = undefined;
    serving = true;
  });

  const call = async (method: string, path: string, body?: unknown, headers: Record<string, string> = {}) => {
    const res = await fetch(server.url + path, {
      method,
      headers: { 'content-type': 'application/json', ...headers },
      ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
    });
    return { status: res.status, type: res.headers.get('content-type') ?? '', headers: res.headers, text: await res.text() };
  };
  const v2Body = { credentials: { oidcIdentityToken: 'tok' }, publicKeyRequest: { publicKey: { content: PEM }, proofOfPossession: 'AQID' } };
  const v1Body = { publicKey: { content: Buffer.from(PEM).toString('base64') }, signedEmailAddress: 'AQID' };

  it('answers /healthz 503 NOT_SERVING once the server is draining, and gives every answer an X-Request-Id', async () => {
    const up = await call('GET', '/healthz');
    assert.deepEqual([up.status, JSON.parse(up.text)], [200, { status: 'SERVING' }]);
    serving = false;
    const down = await call('GET', '/healthz');
    assert.deepEqual([down.status, JSON.parse(down.text)], [503, { status: 'NOT_SERVING' }]);
    const ids = await Promise.all(['/healthz', '/nowhere', '/api/v2/trustBundle'].map(async (p) => (await call('GET', p)).headers.get('x-request-id')));
    for (const id of ids) assert.match(id ?? '', /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    assert.equal(new Set(ids).size, 3);
  });

  it('the table of routes is exactly the paths the app answers 501 for', () => {
    assert.deepEqual([...KNOWN_PATHS].sort(), ROUTES.map(([, path]) => path).sort());
  });

  for (const [method, path, status, type] of ROUTES) {
    it(`${method} ${path} → ${status} ${type.source.replace(/\\/g, '')}`, async () => {
      const res = await call(method, path, method === 'POST' ? (path.includes('v1') ? v1Body : v2Body) : undefined, path.includes('v1') ? { authorization: 'Bearer tok' } : {});
      assert.equal(res.status, status, res.text);
      assert.match(res.type, type);
      assert.equal(res.headers.get('x-powered-by'), null);
      assert.equal(res.headers.get('etag'), null);
    });

    for (const wrong of ['GET', 'POST', 'PUT', 'DELETE', 'PATCH'].filter((m) => m !== method)) {
      it(`${wrong} ${path} → 501 Method Not Allowed in Fulcio’s shape`, async () => {
        const res = await call(wrong, path, wrong === 'GET' ? undefined : {});
        assert.equal(res.status, 501);
        assert.match(res.type, /^application\/json/);
        assert.deepEqual(JSON.parse(res.text), NOT_ALLOWED);
        assert.equal(seen.length, 0, 'the signing service was not called');
      });
    }
  }

  for (const path of ['/', '/api/v2/nothing', '/api/v2/signingcert', '/API/v2/signingCert', '/api/v2/signingCert/', '/healthz/', '/api/v3/signingCert', '/api/v2/signingCert/extra'])
    it(`an unknown path (${path}) → 404 Not Found in Fulcio’s shape, for any method`, async () => {
      for (const method of ['GET', 'POST']) {
        const res = await call(method, path, method === 'POST' ? {} : undefined);
        assert.equal(res.status, 404, `${method} ${path}`);
        assert.deepEqual(JSON.parse(res.text), NOT_FOUND);
      }
    });

  it('v2 hands the parsed request (token from Authorization when the body has none) and the client address to the signing service and answers the chain as trimmed PEM', async () => {
    const res = await call('POST', '/api/v2/signingCert', { publicKeyRequest: v2Body.publicKeyRequest }, { authorization: 'Bearer from-header', 'x-forwarded-for': '203.0.113.7' });
    assert.equal(res.status, 200, res.text);
    // The socket's address (IPv4-mapped IPv6 shown as IPv4); X-Forwarded-For is not believed without trust-proxy hops.
    assert.deepEqual(seen, [{ token: 'from-header', key: { kind: 'publicKey', content: PEM, proof: Buffer.from([1, 2, 3]) }, clientAddress: '127.0.0.1' }]);
    const certs = JSON.parse(res.text).signedCertificateEmbeddedSct.chain.certificates as string[];
    assert.equal(certs.length, 3);
    assert.equal(certs[1], certToPem(chain[0]!).trim());
    assert.ok(certs.every((c) => !c.endsWith('\n')));
  });

  it('v1 answers 201 with the PEM chain joined by one newline, no trailing newline', async () => {
    const res = await call('POST', '/api/v1/signingCert', v1Body, { authorization: 'Bearer tok' });
    assert.equal(res.status, 201);
    assert.equal(seen[0]?.token, 'tok');
    assert.equal(seen[0]?.clientAddress, '127.0.0.1');
    assert.equal(res.text, [chain[1]!, ...chain].map((c) => certToPem(c).trim()).join('\n'));
  });

  it('a parse failure answers in Fulcio’s shape before the signing service is called', async () => {
    const res = await call('POST', '/api/v2/signingCert', { publicKeyRequest: v2Body.publicKeyRequest });
    assert.equal(res.status, 400);
    assert.equal(JSON.parse(res.text).details[0].reason, 'MISSING_TOKEN');
    assert.equal(seen.length, 0);
  });

  it('a signing service failure answers with its reason and status', async () => {
    failWith = new FulgorError('CT_LOG_UNAVAILABLE', 'the certificate transparency log could not be reached');
    const res = await call('POST', '/api/v2/signingCert', v2Body);
    assert.equal(res.status, 503);
    assert.equal(JSON.parse(res.text).details[0].reason, 'CT_LOG_UNAVAILABLE');
  });

  it('reads bodies up to 4 MiB without a content type, and refuses one byte more with 413 BODY_TOO_LARGE', async () => {
    const pad = (n: number) => JSON.stringify({ ...v2Body, pad: '' }).length + n;
    const body = (total: number) => JSON.stringify({ ...v2Body, pad: 'x'.repeat(total - pad(0)) });
    const fits = await call('POST', '/api/v2/signingCert', body(MAX_BODY_BYTES), { 'content-type': '' });
    assert.equal(fits.status, 200, fits.text.slice(0, 200));
    const over = await call('POST', '/api/v2/signingCert', body(MAX_BODY_BYTES + 1));
    assert.equal(over.status, 413);
    assert.equal(JSON.parse(over.text).details[0].reason, 'BODY_TOO_LARGE');
  });

  it('serves the trust bundle, the root cert and the configuration from its deps', async () => {
    const bundle = JSON.parse((await call('GET', '/api/v2/trustBundle')).text);
    assert.deepEqual(bundle, { chains: [{ certificates: chain.map((c) => certToPem(c)) }] });
    assert.equal((await call('GET', '/api/v1/rootCert')).text, chain.map((c) => certToPem(c)).join('\n').trim());
    const cfg = JSON.parse((await call('GET', '/api/v2/configuration')).text);
    assert.deepEqual(cfg.issuers.map((i: { issuerUrl: string }) => i.issuerUrl), [ISSUER]);
    assert.equal((await call('GET', '/healthz')).text, '{"status":"SERVING"}\n');
  });

  it('mounts extra routers before the Fulcio routes and the 404', async () => {
    const res = await call('GET', '/extra/hello');
    assert.equal(res.status, 200);
    assert.equal(res.text, 'extra');
  });
});

describe('server/routes: the signing answers’ bytes', () => {
  it('v2 is JSON.stringify of the chain’s trimmed PEMs, v1 the PEMs joined by line feeds, however often the CA certificates are answered', async () => {
    const dev = await createDevCa();
    const [leafA, leafB] = [(await createDevCa()).intermediate, (await createDevCa()).root];
    for (const leaf of [leafA!, leafB!, leafA!]) {
      const chain = [leaf, dev.intermediate, dev.root];
      const pems = chain.map((c) => certToPem(c).trim());
      assert.equal(SIGNING_ROUTES.get('/api/v2/signingCert')!.answer({ chain }).text, JSON.stringify({ signedCertificateEmbeddedSct: { chain: { certificates: pems } } }));
      assert.equal(SIGNING_ROUTES.get('/api/v1/signingCert')!.answer({ chain }).text, pems.join('\n'));
    }
  });
});
