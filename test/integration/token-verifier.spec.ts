import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { parseIdentityConfig } from '../../config/identity.js';
import { systemClock } from '../../lib/clock.js';
import { issuerRouter } from '../../oidc/dev-issuer.js';
import { createTokenVerifier } from '../../oidc/token-verifier.js';
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
    const verifier = createTokenVerifier(configFor(url), { clock: systemClock, timeoutMs: 2000 });
    await assert.rejects(verifier.verify(token), { code: 'ISSUER_UNAVAILABLE' });
    // Bring an issuer up at the same URL: the next request runs discovery again.
    const port = Number(new URL(url).port);
    const app = express();
    const server = createServer(app);
    app.use('/tenant/a', issuerRouter(url, () => [issuer.key]));
    await new Promise<void>((r) => server.listen(port, '127.0.0.1', () => r()));
    try {
      const ok = await verifier.verify(token);
      assert.equal(ok.issuer.issuerUrl, url);
    } finally {
      server.closeAllConnections();
      server.close();
      issuer = await startIssuer('/tenant/a');
    }
  });
});
