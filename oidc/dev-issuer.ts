// The development OIDC issuer: discovery + JWKS over HTTP, and RS256 tokens with realistic CI claims. It is mounted
// and trusted only in --dev mode; tests use the same code as a real local issuer.
import { createPublicKey, type KeyObject } from 'node:crypto';
import express from 'express';
import { calculateJwkThumbprint, exportJWK, SignJWT } from 'jose';
import { devClaims, type DevTokenType } from './dev-claims.js';

export async function publicJwk(key: KeyObject) {
  const jwk = await exportJWK(key.type === 'private' ? createPublicKey(key) : key);
  const kid = await calculateJwkThumbprint(jwk);
  return { ...jwk, kid, alg: 'RS256', use: 'sig' };
}

/** Serves `{issuer}/.well-known/openid-configuration` and `{issuer}/keys` when mounted at the issuer's path. */
export function issuerRouter(issuer: string, keys: () => Promise<KeyObject[]> | KeyObject[]): express.Router {
  const r = express.Router();
  r.get('/.well-known/openid-configuration', (_req, res) => {
    res.json({
      issuer,
      jwks_uri: `${issuer}/keys`,
      id_token_signing_alg_values_supported: ['RS256'],
      response_types_supported: ['id_token'],
      subject_types_supported: ['public'],
    });
  });
  r.get('/keys', async (_req, res) => {
    res.json({ keys: await Promise.all((await keys()).map(publicJwk)) });
  });
  return r;
}

export interface MintOptions {
  readonly issuer: string;
  readonly privateKey: KeyObject;
  readonly type?: DevTokenType;
  readonly audience?: string | string[];
  /** Extra or overriding claims; a value of `undefined` removes a claim. */
  readonly claims?: Record<string, unknown>;
  readonly now?: Date;
  readonly lifetimeSeconds?: number;
}

export async function mintToken(o: MintOptions): Promise<string> {
  const nowS = Math.floor((o.now ?? new Date()).getTime() / 1000);
  const claims: Record<string, unknown> = {
    ...devClaims(o.type ?? 'github'),
    iss: o.issuer,
    aud: o.audience ?? 'sigstore',
    iat: nowS,
    nbf: nowS,
    exp: nowS + (o.lifetimeSeconds ?? 600),
    ...o.claims,
  };
  for (const k of Object.keys(claims)) if (claims[k] === undefined) delete claims[k];
  const { kid } = await publicJwk(o.privateKey);
  return new SignJWT(claims).setProtectedHeader({ alg: 'RS256', kid, typ: 'JWT' }).sign(o.privateKey);
}
