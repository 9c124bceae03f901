// The issuance benchmark's OIDC issuer: oidc/dev-issuer.ts's discovery + JWKS on a loopback port of its own (as a
// real issuer would be), counting the JWKS fetches the CA makes; tokens are minted with the same module.
import { generateKeyPairSync } from 'node:crypto';
import express from 'express';
import { listenHttp } from '../lib/listen.js';
import { issuerRouter, mintToken } from '../oidc/dev-issuer.js';

export interface BenchIssuer {
  readonly url: string;
  /** JWKS fetches served so far. */
  readonly jwksFetches: number;
  /** A fresh GitHub Actions token for audience sigstore. */
  mint(): Promise<string>;
  close(): Promise<void>;
}

export async function startBenchIssuer(): Promise<BenchIssuer> {
  const key = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
  const listening = await listenHttp('127.0.0.1', 0);
  const url = `${listening.url}/oidc`;
  let jwksFetches = 0;
  const app = express();
  app.use('/oidc', (req, _res, next) => {
    if (req.path === '/keys') jwksFetches++;
    next();
  });
  app.use('/oidc', issuerRouter(url, () => [key]));
  listening.server.on('request', app);
  return {
    url,
    get jwksFetches() {
      return jwksFetches;
    },
    mint: () => mintToken({ issuer: url, privateKey: key, type: 'github' }),
    close: () => listening.close({ drainMs: 0 }),
  };
}
