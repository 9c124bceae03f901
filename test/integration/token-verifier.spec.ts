import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { CompactSign } from 'jose';
import { parseIdentityConfig } from '../../oidc/identity-compile.js';
import { systemClock } from '../../lib/clock.js';
import { issuerRouter, mintToken, publicJwk } from '../../oidc/dev-issuer.js';
import { MAX_RESPONSE_BYTES } from '../../oidc/issuer-http.js';
import { createTokenVerifier } from '../../oidc/token-verifier.js';
import { clientKey, startFulgor, v2Request } from '../helpers/fulgor.js';
import { startIssuer, type TestIssuer } from '../helpers/oidc-issuer.js';

const configFor = (url: string) =>
  parseIdentityConfig(JSON.stringify({ OIDCIssuers: { [url]: { IssuerURL: url, ClientID: 'sigstore', Type: 'github-workflow' } } }));

describe('oidc/token-verifier against real local issuers', () => {
  let issuer: TestIssuer;
  beforeEach(async () => {
    issuer = await startIssuer('/tenant/a');
  });
  afterEach(() => issuer.close());

  it('verifies a token from an issuer whose URL has a path, and caches the JWKS', async () => {
    const verifier = createTokenVerifier(configFor(issuer.url), { clock: systemClock });
    const first = await verifier.verify(await issuer.mint('github'));
    assert.equal(first.issuer.issuerUrl, issuer.url);
    assert.equal(first.claims['repository'], 'acme/app');
    await verifier.verify(await issuer.mint('github'));
    assert.equal(issuer.jwksFetches, 1, 'keys are cached');
  });

  it('refetches the JWKS when a token names an unknown key (rotation)', async () => {
    const verifier = createTokenVerifier(configFor(issuer.url), { clock: systemClock, jwksCooldownMs: 0 });
    await verifier.verify(await issuer.mint('github'));
    const next = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
    issuer.published = [issuer.key, next];
    const rotated = await verifier.verify(await issuer.mint('github', { privateKey: next }));
    assert.equal(rotated.claims['sub'], 'repo:acme/app:ref:refs/heads/main');
    assert.equal(issuer.jwksFetches, 2);
  });

  it('refuses a discovery document that names another issuer', async () => {
    const app = express();
    const server = createServer(app);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    app.use('/', issuerRouter('https://impostor.example.com', () => [issuer.key]));
    try {
      const verifier = createTokenVerifier(configFor(url), { clock: systemClock });
      const token = await issuer.mint('github', { issuer: url });
      await assert.rejects(verifier.verify(token), { code: 'ISSUER_UNAVAILABLE', message: /names issuer/ });
    } finally {
      server.closeAllConnections();
      server.close();
    }
  });

  it('reports an unreachable issuer, then recovers lazily once it is up', async () => {
    const url = issuer.url;
    const token = await issuer.mint('github');
    await issuer.close();
    let skew = 0;
    const clock = () => new Date(Date.now() + skew);
    const verifier = createTokenVerifier(configFor(url), { clock, timeoutMs: 2000 });
    await assert.rejects(verifier.verify(token), { code: 'ISSUER_UNAVAILABLE' });
    // Bring an issuer up at the same URL: once the failure's backoff (1 s) has passed, discovery runs again.
    const port = Number(new URL(url).port);
    const app = express();
    const server = createServer(app);
    let discoveries = 0;
    app.use('/tenant/a', (req, _res, next) => void (req.path.endsWith('/openid-configuration') && discoveries++, next()));
    app.use('/tenant/a', issuerRouter(url, () => [issuer.key]));
    await new Promise<void>((r) => server.listen(port, '127.0.0.1', () => r()));
    try {
      await assert.rejects(verifier.verify(token), { code: 'ISSUER_UNAVAILABLE', message: /not retried for another 1 s/ });
      assert.equal(discoveries, 0, 'a failed issuer is not asked again within its backoff');
      skew += 1_500;
      const ok = await verifier.verify(token);
      assert.equal(discoveries, 1);
      assert.equal(ok.issuer.issuerUrl, url);
    } finally {
      server.closeAllConnections();
      server.close();
      issuer = await startIssuer('/tenant/a');
    }
  });
});

/** A local HTTP server whose requests a test answers by hand; `hits` counts requests per path. */
async function startServer(handle: (req: IncomingMessage, res: ServerResponse) => void) {
  const hits = new Map<string, number>();
  const server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    hits.set(path, (hits.get(path) ?? 0) + 1);
    handle(req, res);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const count = (suffix: string) => [...hits].filter(([p]) => p.endsWith(suffix)).reduce((n, [, c]) => n + c, 0);
  return {
    url,
    hits,
    count,
    close: () =>
      new Promise<void>((r) => {
        server.close(() => r());
        server.closeAllConnections();
      }),
  };
}

const json = (res: ServerResponse, body: unknown, chunked = false) => {
  const text = JSON.stringify(body);
  if (!chunked) return void res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) }).end(text);
  // No content-length: the size is only known by reading.
  res.writeHead(200, { 'content-type': 'application/json' });
  for (let i = 0; i < text.length; i += 64 * 1024) res.write(text.slice(i, i + 64 * 1024));
  res.end();
};
const discoveryDoc = (issuer: string, extra: Record<string, unknown> = {}) => ({
  issuer,
  jwks_uri: `${issuer}/keys`,
  id_token_signing_alg_values_supported: ['RS256'],
  ...extra,
});
const PADDING = 'x'.repeat(MAX_RESPONSE_BYTES + 1);

describe('oidc/token-verifier: bounded fetches', () => {
  const key = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;

  for (const chunked of [false, true]) {
    it(`refuses a discovery document over 1 MiB from a plain-fetch issuer (${chunked ? 'chunked' : 'content-length'})`, async () => {
      const server = await startServer((req, res) => {
        if (req.url?.endsWith('/openid-configuration')) json(res, discoveryDoc(server.url, { padding: PADDING }), chunked);
        else publicJwk(key).then((k) => json(res, { keys: [k] }));
      });
      try {
        const verifier = createTokenVerifier(configFor(server.url), { clock: systemClock });
        await assert.rejects(verifier.verify(await mintToken({ issuer: server.url, privateKey: key })), {
          code: 'ISSUER_UNAVAILABLE',
          message: /exceeds 1048576 bytes/,
        });
        assert.equal(server.count('/keys'), 0, 'the key set is never asked for');
      } finally {
        await server.close();
      }
    });

    it(`refuses a JWKS over 1 MiB from a plain-fetch issuer (${chunked ? 'chunked' : 'content-length'})`, async () => {
      const server = await startServer((req, res) => {
        if (req.url?.endsWith('/openid-configuration')) json(res, discoveryDoc(server.url));
        else publicJwk(key).then((k) => json(res, { keys: [k], padding: PADDING }, chunked));
      });
      try {
        const verifier = createTokenVerifier(configFor(server.url), { clock: systemClock });
        await assert.rejects(verifier.verify(await mintToken({ issuer: server.url, privateKey: key })), {
          code: 'ISSUER_UNAVAILABLE',
          message: /key set could not be fetched: .*exceeds 1048576 bytes/,
        });
      } finally {
        await server.close();
      }
    });
  }

  it('gives up on an issuer that never answers (discovery, then JWKS) within timeoutMs', async () => {
    let stallKeys = false;
    const server = await startServer((req, res) => {
      // Never answered: the request just hangs until the client gives up.
      if (req.url?.endsWith('/openid-configuration') && !stallKeys) return;
      if (req.url?.endsWith('/openid-configuration')) return json(res, discoveryDoc(server.url));
      res.writeHead(200, { 'content-type': 'application/json' }).write('{"keys": ['); // headers, then silence
    });
    try {
      let skew = 0;
      const verifier = createTokenVerifier(configFor(server.url), { clock: () => new Date(Date.now() + skew), timeoutMs: 200 });
      const token = await mintToken({ issuer: server.url, privateKey: key });
      await assert.rejects(verifier.verify(token), { code: 'ISSUER_UNAVAILABLE', message: /discovery .* failed: .*(timeout|aborted)/i });
      stallKeys = true;
      skew += 60_000; // past the failure's backoff
      await assert.rejects(verifier.verify(token), { code: 'ISSUER_UNAVAILABLE', message: /key set could not be fetched/ });
      assert.equal(server.count('/keys'), 1);
    } finally {
      await server.close();
    }
  });
});

describe('oidc/token-verifier: MetaIssuers are bounded', () => {
  const key = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
  let server: Awaited<ReturnType<typeof startServer>>;
  let now: number;
  const clock = () => new Date(now);
  before(async () => {
    // Any /tenant/<id> is a working issuer, except ids starting with "gone", whose discovery is a 404.
    server = await startServer((req, res) => {
      const m = /^\/tenant\/([^/]+)\/(.*)$/.exec(req.url ?? '');
      if (!m || m[1]?.startsWith('gone')) return void res.writeHead(404).end();
      const issuer = `${server.url}/tenant/${m[1]}`;
      if (m[2] === '.well-known/openid-configuration') return json(res, discoveryDoc(issuer));
      publicJwk(key).then((k) => json(res, { keys: [k] }));
    });
  });
  after(() => server.close());
  beforeEach(() => {
    now = Date.now();
    server.hits.clear();
  });

  const metaConfig = () =>
    parseIdentityConfig(JSON.stringify({ MetaIssuers: { [`${server.url}/tenant/*`]: { ClientID: 'sigstore', Type: 'github-workflow' } } }));
  const tenant = (id: string) => `${server.url}/tenant/${id}`;
  const token = (id: string) => mintToken({ issuer: tenant(id), privateKey: key, now: new Date(now) });
  const discoveries = () => server.count('/openid-configuration');

  it('tells its fetch observer of each discovery and JWKS fetch, under the MetaIssuers pattern, never each URL', async () => {
    const seen: string[] = [];
    const observer = { fetched: (issuer: string, kind: string, outcome: string) => void seen.push(`${issuer} ${kind} ${outcome}`) };
    const verifier = createTokenVerifier(metaConfig(), { clock, observer });
    await verifier.verify(await token('one'));
    await verifier.verify(await token('one'));
    await assert.rejects(verifier.verify(await token('gone1')), { code: 'ISSUER_UNAVAILABLE' });
    const pattern = `${server.url}/tenant/*`;
    assert.deepEqual(seen, [`${pattern} jwks ok`, `${pattern} discovery ok`, `${pattern} discovery error`]);
  });

  it('limits new discoveries per pattern and keeps at most maxMetaProviders issuers', async () => {
    const verifier = createTokenVerifier(metaConfig(), {
      clock,
      limits: { maxMetaProviders: 3, metaDiscoveriesPerSecond: 1, metaDiscoveryBurst: 3 },
    });
    for (const id of ['a', 'b', 'c']) assert.equal((await verifier.verify(await token(id))).issuer.issuerUrl, tenant(id));
    assert.equal(discoveries(), 3);
    // The burst is spent: a fourth new issuer in the same second is refused without any request.
    await assert.rejects(verifier.verify(await token('d')), { code: 'ISSUER_UNAVAILABLE', message: /too many new issuers matching .*tenant\/\*/ });
    assert.equal(discoveries(), 3);
    // Known issuers are not affected by the limit.
    await verifier.verify(await token('c'));
    now += 1_000;
    await verifier.verify(await token('d')); // one more discovery: the cache holds 3, so the least recent (a) goes
    assert.equal(discoveries(), 4);
    await verifier.verify(await token('d'));
    await verifier.verify(await token('c'));
    assert.equal(discoveries(), 4, 'cached issuers are not discovered again');
    now += 1_000;
    await verifier.verify(await token('a'));
    assert.equal(discoveries(), 5, 'an evicted issuer is discovered again');
    assert.equal(server.count('/keys'), 5, 'one JWKS fetch per discovery');
  });

  it('answers a flood of distinct made-up issuers with at most the rate’s discoveries', async () => {
    const verifier = createTokenVerifier(metaConfig(), {
      clock,
      limits: { maxMetaProviders: 10, metaDiscoveriesPerSecond: 2, metaDiscoveryBurst: 5 },
    });
    const results = await Promise.allSettled(Array.from({ length: 200 }, async (_, i) => verifier.verify(await token(`gone-${i}`))));
    assert.ok(results.every((r) => r.status === 'rejected' && (r.reason as { code: string }).code === 'ISSUER_UNAVAILABLE'));
    assert.equal(discoveries(), 5, 'the burst, then nothing');
    now += 2_000;
    for (let i = 200; i < 250; i++) await assert.rejects(verifier.verify(await token(`gone-${i}`)), { code: 'ISSUER_UNAVAILABLE' });
    assert.equal(discoveries(), 9, 'four more after two seconds at two per second');
  });

  it('does not ask a failed issuer again within its backoff, which grows with each failure', async () => {
    const verifier = createTokenVerifier(metaConfig(), { clock });
    const gone = await token('gone');
    await assert.rejects(verifier.verify(gone), { code: 'ISSUER_UNAVAILABLE', message: /HTTP 404/ });
    await assert.rejects(verifier.verify(gone), { code: 'ISSUER_UNAVAILABLE', message: /HTTP 404 \(not retried for another 1 s\)/ });
    assert.equal(discoveries(), 1);
    now += 1_000;
    await assert.rejects(verifier.verify(gone), { code: 'ISSUER_UNAVAILABLE', message: /HTTP 404$/ });
    assert.equal(discoveries(), 2, 'retried once the backoff passed');
    now += 1_000;
    await assert.rejects(verifier.verify(gone), { code: 'ISSUER_UNAVAILABLE', message: /not retried for another 1 s/ });
    assert.equal(discoveries(), 2, 'the second failure waits 2 s');
    now += 1_000;
    await assert.rejects(verifier.verify(gone), { code: 'ISSUER_UNAVAILABLE', message: /HTTP 404$/ });
    assert.equal(discoveries(), 3);
  });
});

describe('oidc/token-verifier: client mistakes are 4xx, not ISSUER_UNAVAILABLE', () => {
  let issuer: TestIssuer;
  beforeEach(async () => {
    issuer = await startIssuer('/tenant/m');
  });
  afterEach(() => issuer.close());
  const withHeader = (token: string, header: string) => [Buffer.from(header).toString('base64url'), ...token.split('.').slice(1)].join('.');

  it('refuses tokens whose JOSE header is !!, [] or null as MALFORMED_TOKEN, before any discovery', async () => {
    const verifier = createTokenVerifier(configFor(issuer.url), { clock: systemClock });
    const good = await issuer.mint('github');
    for (const header of ['!!', '[]', 'null', '{"typ":"JWT"}'])
      await assert.rejects(verifier.verify(withHeader(good, header)), { code: 'MALFORMED_TOKEN' }, header);
    assert.equal(issuer.jwksFetches, 0);
  });

  it('answers a kid the issuer does not publish, even after a refetch, with INVALID_TOKEN_SIGNATURE', async () => {
    const verifier = createTokenVerifier(configFor(issuer.url), { clock: systemClock, jwksCooldownMs: 0 });
    await verifier.verify(await issuer.mint('github'));
    assert.equal(issuer.jwksFetches, 1);
    const stranger = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
    await assert.rejects(verifier.verify(await issuer.mint('github', { privateKey: stranger })), { code: 'INVALID_TOKEN_SIGNATURE' });
    assert.equal(issuer.jwksFetches, 2, 'the key set was fetched again for the unknown kid');
  });

  it('refuses exp, nbf or iat that are not finite numbers (1e400 parses as Infinity)', async () => {
    const verifier = createTokenVerifier(configFor(issuer.url), { clock: systemClock });
    const now = Math.floor(Date.now() / 1000);
    const { kid } = await publicJwk(issuer.key);
    const claims = `"iss":${JSON.stringify(issuer.url)},"aud":"sigstore","sub":"repo:acme/app:ref:refs/heads/main"`;
    const signed = (dates: string) =>
      new CompactSign(Buffer.from(`{${claims},${dates}}`)).setProtectedHeader({ alg: 'RS256', kid }).sign(issuer.key);
    assert.equal((await verifier.verify(await signed(`"iat":${now},"exp":${now + 600}`))).claims['sub'], 'repo:acme/app:ref:refs/heads/main');
    for (const dates of [`"iat":${now},"exp":1e400`, `"nbf":-1e400,"exp":${now + 600}`, `"iat":-1e400,"exp":${now + 600}`])
      await assert.rejects(verifier.verify(await signed(dates)), { code: 'INVALID_CLAIM', message: /is not a finite number/ }, dates);
  });

  it('answers the same through the real CA: 400 MALFORMED_TOKEN for bad headers, 400 for exp 1e400', async () => {
    const fulgor = await startFulgor({ OIDCIssuers: { [issuer.url]: { IssuerURL: issuer.url, ClientID: 'sigstore', Type: 'github-workflow' } } });
    try {
      const good = await issuer.mint('github');
      const sub = 'repo:acme/app:ref:refs/heads/main';
      const post = async (token: string) => {
        const res = await fulgor.post('/api/v2/signingCert', v2Request(token, clientKey(), sub));
        return { status: res.status, reason: res.json?.details?.[0]?.reason as string | undefined };
      };
      for (const header of ['!!', '[]', 'null']) assert.deepEqual(await post(withHeader(good, header)), { status: 400, reason: 'MALFORMED_TOKEN' }, header);
      const { kid } = await publicJwk(issuer.key);
      const infinite = await new CompactSign(Buffer.from(`{"iss":${JSON.stringify(issuer.url)},"aud":"sigstore","sub":"${sub}","exp":1e400}`))
        .setProtectedHeader({ alg: 'RS256', kid })
        .sign(issuer.key);
      assert.deepEqual(await post(infinite), { status: 400, reason: 'INVALID_CLAIM' });
      assert.equal((await post(good)).status, 200);
    } finally {
      await fulgor.close();
    }
  });
});
