// Static key sets for air-gapped issuers (`JWKSPath` / `jwks-path`): the issuer's public keys are read from a JSON
// Web Key Set file when the config is loaded (and on every reload), and tokens are verified against them with no
// network at all: no discovery, no JWKS fetch. Accepted algorithms are those the keys name in `alg`
// (intersected with Fulcio's supported set), or RS256 when no key names one, as go-oidc defaults.
import { createPublicKey } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import { createLocalJWKSet, type JSONWebKeySet } from 'jose';
import type { IdentityConfig, IssuerConfig } from './identity-config.js';
import { SUPPORTED_TOKEN_ALGORITHMS, type Provider } from './discovery.js';

export interface StaticJwks {
  readonly path: string;
  readonly jwks: JSONWebKeySet;
  readonly algorithms: readonly string[];
}

/** A JWKSPath as the server opens it: relative paths are relative to the config file's directory (else the cwd). */
export const resolveJwksPath = (path: string, baseDir?: string): string => (isAbsolute(path) ? path : resolve(baseDir ?? '.', path));

/** Why a decoded document is not a usable public JWKS, one problem per entry (empty when it is fine). */
export function jwksProblems(doc: unknown): string[] {
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) return ['must hold a JSON object {"keys": [...]}'];
  const keys = (doc as Record<string, unknown>)['keys'];
  if (!Array.isArray(keys)) return ['has no "keys" list'];
  if (keys.length === 0) return ['"keys" is empty: no token could ever verify'];
  const problems: string[] = [];
  keys.forEach((k: unknown, i) => {
    if (typeof k !== 'object' || k === null || Array.isArray(k)) return void problems.push(`keys[${i}]: must be a JSON object`);
    const jwk = k as Record<string, unknown>;
    if ('d' in jwk || 'k' in jwk) return void problems.push(`keys[${i}]: holds private or secret key material; publish public keys only`);
    if (jwk['alg'] !== undefined && !SUPPORTED_TOKEN_ALGORITHMS.includes(jwk['alg'] as string))
      problems.push(`keys[${i}].alg: ${JSON.stringify(jwk['alg'])} is not a supported token algorithm (${SUPPORTED_TOKEN_ALGORITHMS.join(', ')})`);
    try {
      createPublicKey({ key: jwk as import('node:crypto').JsonWebKey, format: 'jwk' });
    } catch (e) {
      problems.push(`keys[${i}]: not a valid public key: ${(e as Error).message}`);
    }
  });
  return problems;
}

/** Reads and checks one JWKS file; throws an Error listing every problem, prefixed with the file. */
export function readStaticJwks(path: string): StaticJwks {
  let doc: unknown;
  try {
    doc = JSON.parse(readFileSync(path, 'utf8'));
  } catch (e) {
    throw new Error(`${path}: cannot read a JWKS: ${(e as Error).message}`, { cause: e });
  }
  const problems = jwksProblems(doc);
  if (problems.length > 0) throw new Error(`${path}: ${problems.join('; ')}`);
  const jwks = doc as JSONWebKeySet;
  const named = new Set(jwks.keys.map((k) => k.alg).filter((a): a is string => typeof a === 'string'));
  const algorithms = named.size > 0 ? SUPPORTED_TOKEN_ALGORITHMS.filter((a) => named.has(a)) : ['RS256'];
  return { path, jwks, algorithms };
}

/** A verification provider for an issuer from its static key set. */
export const staticProvider = (issuer: string, s: StaticJwks): Provider => ({
  issuer,
  algorithms: s.algorithms,
  keys: createLocalJWKSet(s.jwks),
});

const issuersOf = (identity: IdentityConfig): IssuerConfig[] => [...identity.oidcIssuers.values(), ...identity.metaIssuers.map((m) => m.config)];

/** Reads every issuer's JWKSPath once (keyed by resolved path); throws listing every unusable file and its issuer. */
export function loadStaticKeySets(identity: IdentityConfig, baseDir?: string): Map<string, StaticJwks> {
  const out = new Map<string, StaticJwks>();
  const problems: string[] = [];
  for (const issuer of issuersOf(identity)) {
    if (issuer.jwksPath === undefined) continue;
    const path = resolveJwksPath(issuer.jwksPath, baseDir);
    if (out.has(path)) continue;
    try {
      out.set(path, readStaticJwks(path));
    } catch (e) {
      problems.push(`issuer ${issuer.issuerUrl}: JWKSPath ${(e as Error).message}`);
    }
  }
  if (problems.length > 0) throw new Error(`unusable static key sets:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
  return out;
}
