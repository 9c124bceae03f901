// A real local OIDC issuer for tests: discovery + JWKS over HTTP on loopback (port 0), tokens minted with jose.
import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { issuerRouter, mintToken, type MintOptions } from '../../oidc/dev-issuer.js';
import type { DevTokenType } from '../../oidc/dev-claims.js';

export interface TestIssuer {
  readonly url: string;
  readonly key: KeyObject;
  /** Keys currently published in the JWKS (tests may rotate). */
  published: KeyObject[];
  /** Number of JWKS fetches served. */
  jwksFetches: number;
  mint(type: DevTokenType, o?: Partial<MintOptions>): Promise<string>;
  close(): Promise<void>;
}

export async function startIssuer(path = '/oidc'): Promise<TestIssuer> {
  const key = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
  const app = express();
  const server: Server = createServer(app);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}${path}`;
  const issuer: TestIssuer = {
    url,
    key,
    published: [key],
    jwksFetches: 0,
    mint: (type, o = {}) => mintToken({ issuer: url, privateKey: key, type, ...o }),
    close: () =>
      new Promise((r) => {
        server.close(() => r());
        server.closeAllConnections();
      }),
  };
  app.use(path, (req, _res, next) => {
    if (req.path === '/keys') issuer.jwksFetches++;
    next();
  });
  app.use(path, issuerRouter(url, () => issuer.published));
  return issuer;
}
