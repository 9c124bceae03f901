// Discovery runs through openid-client, which compares the document's issuer with the configured URL after URL
// normalization. Fulcio compares the strings: an issuer configured as `http://localhost:PORT` whose document says
// `http://localhost:PORT/` (the same URL once normalized) must be refused, and the exact string accepted.
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { systemClock } from '../../lib/clock.js';
import { issuerRouter, mintToken } from '../../oidc/dev-issuer.js';
import { parseIdentityConfig } from '../../oidc/identity-compile.js';
import { createTokenVerifier } from '../../oidc/token-verifier.js';

describe('oidc/discovery: the issuer is compared exactly, not as a normalized URL', () => {
  it('refuses a document naming `…/` for an issuer configured without the slash, accepts the exact string', async () => {
    const key = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
    const app = express();
    const server = createServer(app);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    const port = (server.address() as AddressInfo).port;
    const exact = `http://localhost:${port}/exact`;
    const slashless = `http://localhost:${port}`;
    app.use('/exact', issuerRouter(exact, () => [key]));
    // At the root: a document whose issuer is the root URL with its slash.
    app.use('/', issuerRouter(`${slashless}/`, () => [key]));
    const config = parseIdentityConfig(
      JSON.stringify({
        OIDCIssuers: Object.fromEntries([exact, slashless].map((u) => [u, { IssuerURL: u, ClientID: 'sigstore', Type: 'github-workflow' }])),
      }),
    );
    try {
      const verifier = createTokenVerifier(config, { clock: systemClock });
      assert.equal((await verifier.verify(await mintToken({ issuer: exact, privateKey: key }))).issuer.issuerUrl, exact);
      assert.equal(new URL(slashless).href, new URL(`${slashless}/`).href, 'the same URL once normalized');
      await assert.rejects(verifier.verify(await mintToken({ issuer: slashless, privateKey: key })), {
        code: 'ISSUER_UNAVAILABLE',
        message: new RegExp(`names issuer "${slashless}/"`),
      });
    } finally {
      server.closeAllConnections();
      server.close();
    }
  });
});
