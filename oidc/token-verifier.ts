// Identity token verification: route by the unverified `iss`, then verify fully against that issuer's discovery
// document and keys (signature, advertised algorithm, exact iss, aud contains ClientID, exp with no leeway, nbf/iat
// with at most five minutes of skew). Claims are returned only after every check passed. A token that is not even
// well formed (its header not a JSON object naming an `alg`, its payload not a JSON object, a NumericDate that is
// not a finite number) is refused before any network is used. Discovery is lazy (nothing is fetched at start, so an
// unreachable issuer does not stop the CA); how providers are cached, how failures back off and how MetaIssuers
// discoveries are limited is oidc/provider-cache.ts. An issuer with a JWKSPath is verified against that static key
// set, read when the verifier is created, and never touches the network.
// The token is decoded once (oidc/compact-jws.ts). jose finds the key (its JWKS getters: kid, key type and curve for
// the alg, refetch on an unknown kid); the signature is checked with node:crypto (oidc/jws-signature.ts) and the
// registered claims here (oidc/token-claims.ts), in the order jose's jwtVerify checked them, so every refusal keeps
// the reason it had when jwtVerify did all three.
import { errors as joseErrors, type CompactJWSHeaderParameters, type FlattenedJWSInput, type JWTVerifyGetKey } from 'jose';
import type { Clock } from '../lib/clock.js';
import { FulgorError, type ReasonCode } from '../lib/errors.js';
import { findOutbound } from '../lib/outbound-error.js';
import type { IdentityConfig, IssuerConfig } from './identity-config.js';
import { findIssuer, findMetaIssuer } from './issuer-routing.js';
import { discover, type DiscoveryOptions, type Provider } from './discovery.js';
import { createProviderCache, type ProviderCacheLimits } from './provider-cache.js';
import { loadStaticKeySets, resolveJwksPath, staticProvider } from './static-jwks.js';
import { decodeSegment, parseJsonObject } from './compact-jws.js';
import { verifyJwsSignature } from './jws-signature.js';
import { checkNumericDates, checkRegisteredClaims } from './token-claims.js';
import type { Claims } from './principal.js';

export { MAX_CLOCK_SKEW_SECONDS } from './token-claims.js';

export interface VerifiedToken {
  readonly issuer: IssuerConfig;
  readonly claims: Claims;
}

export interface TokenVerifier {
  verify(token: string): Promise<VerifiedToken>;
}

const tokenError = (code: ReasonCode, message: string, cause?: unknown) =>
  new FulgorError(code, message, cause === undefined ? {} : { cause });

/** A compact JWS read once: its parsed header and payload, and the encoded parts the signature covers. */
interface DecodedToken {
  readonly alg: string;
  readonly iss: string;
  readonly header: Record<string, unknown>;
  readonly payload: Record<string, unknown>;
  /** The three encoded segments, as jose's key lookup receives them. */
  readonly jws: { readonly protected: string; readonly payload: string; readonly signature: string };
}

/**
 * Reads the header's `alg` and the payload's `iss` without verifying anything (exactly three parts, JSON object
 * header and payload, as Fulcio's issuer pool does), and refuses NumericDates that are not finite numbers.
 */
function unverifiedParts(token: string): DecodedToken {
  const parts = token.split('.');
  if (parts.length !== 3) throw tokenError('MALFORMED_TOKEN', 'the identity token is not a compact JWS');
  const [encodedHeader, encodedPayload, signature] = parts as [string, string, string];
  let header: Record<string, unknown>;
  try {
    header = parseJsonObject(decodeSegment(encodedHeader));
  } catch (e) {
    throw tokenError('MALFORMED_TOKEN', 'the identity token header is not base64url of a JSON object', e);
  }
  const alg = header['alg'];
  if (typeof alg !== 'string' || !alg) throw tokenError('MALFORMED_TOKEN', 'the identity token header names no "alg"');
  let payload: Record<string, unknown>;
  try {
    payload = parseJsonObject(decodeSegment(encodedPayload));
  } catch (e) {
    throw tokenError('MALFORMED_TOKEN', 'the identity token payload is not valid base64url JSON', e);
  }
  checkNumericDates(payload);
  const iss = payload['iss'];
  if (typeof iss !== 'string' || !iss) throw tokenError('MISSING_CLAIM', 'the identity token has no "iss" claim');
  return { alg, iss, header, payload, jws: { protected: encodedHeader, payload: encodedPayload, signature } };
}

/**
 * The `crit` header (RFC 7515 §4.1.11) as jose applies it to a JWS, whose one understood extension is `b64`
 * (RFC 7797); returns whether the payload is base64url-encoded. An extension this CA does not implement is refused
 * as an unsupported algorithm would be (jose's JOSENotSupported, as before).
 */
function payloadIsEncoded(header: Record<string, unknown>): boolean {
  const crit = header['crit'];
  if (crit === undefined) return true;
  if (!Array.isArray(crit) || crit.length === 0 || crit.some((c) => typeof c !== 'string' || c.length === 0))
    throw tokenError('MALFORMED_TOKEN', 'the identity token header’s "crit" is not a list of parameter names');
  for (const name of crit as string[]) {
    if (name !== 'b64')
      throw tokenError('UNSUPPORTED_TOKEN_ALGORITHM', `the identity token header marks ${JSON.stringify(name.slice(0, 40))} critical, an extension this CA does not implement`);
    if (!Object.hasOwn(header, name)) throw tokenError('MALFORMED_TOKEN', `the identity token header marks "${name}" critical but has no "${name}"`);
  }
  const b64 = header['b64'];
  if (typeof b64 !== 'boolean') throw tokenError('MALFORMED_TOKEN', 'the identity token header’s "b64" is not a boolean');
  return b64;
}

const keysUnavailable = (e: unknown) => {
  const outbound = findOutbound(e);
  return tokenError('ISSUER_UNAVAILABLE', `the issuer’s keys could not be fetched${outbound ? `: ${outbound.safe}` : ''}`, e);
};

/**
 * The provider's key lookup, with its failures classified where they happen: no key for the token's kid (after
 * jose's refetch) is the token's fault; anything else that goes wrong while fetching or reading the issuer's key set
 * is the issuer's, so only errors from here can become ISSUER_UNAVAILABLE.
 */
async function lookUpKey(keys: JWTVerifyGetKey, t: DecodedToken): Promise<unknown> {
  try {
    return await keys(t.header as CompactJWSHeaderParameters, t.jws as FlattenedJWSInput);
  } catch (e) {
    if (e instanceof joseErrors.JWKSNoMatchingKey || e instanceof joseErrors.JWKSMultipleMatchingKeys)
      throw tokenError('INVALID_TOKEN_SIGNATURE', 'the identity token signature does not verify with the issuer’s keys', e);
    if (e instanceof joseErrors.JOSENotSupported)
      throw tokenError('UNSUPPORTED_TOKEN_ALGORITHM', 'the identity token is signed with an algorithm this issuer does not use', e);
    throw keysUnavailable(e);
  }
}

/** The signature over the token's `header.payload` (ASCII: both segments decoded as base64url). */
function checkSignature(t: DecodedToken, key: unknown): void {
  let signature: Uint8Array;
  try {
    signature = decodeSegment(t.jws.signature);
  } catch (e) {
    throw tokenError('MALFORMED_TOKEN', 'the identity token signature is not base64url', e);
  }
  const signingInput = Buffer.from(`${t.jws.protected}.${t.jws.payload}`, 'latin1');
  if (!verifyJwsSignature(t.alg, key, signingInput, signature))
    throw tokenError('INVALID_TOKEN_SIGNATURE', 'the identity token signature does not verify with the issuer’s keys');
}

export interface TokenVerifierOptions extends Omit<DiscoveryOptions, 'caCert'> {
  readonly clock: Clock;
  /** Where relative JWKSPath files are found: the config file's directory (default: the working directory). */
  readonly baseDir?: string;
  /** Bounds on the provider cache, failure backoff and MetaIssuers discovery rate (oidc/provider-cache.ts). */
  readonly limits?: ProviderCacheLimits;
}

export function createTokenVerifier(identity: IdentityConfig, opts: TokenVerifierOptions): TokenVerifier {
  const staticKeys = loadStaticKeySets(identity, opts.baseDir);
  // One provider per static key set: no network, bounded by the config.
  const staticProviders = new Map<string, Provider>();
  const cache = createProviderCache(opts.clock, opts.limits);
  const provider = async (issuer: IssuerConfig, iss: string): Promise<Provider> => {
    const url = issuer.issuerUrl;
    if (issuer.jwksPath !== undefined) {
      const path = resolveJwksPath(issuer.jwksPath, opts.baseDir);
      let p = staticProviders.get(path);
      if (!p) {
        const keys = staticKeys.get(path);
        if (keys === undefined) throw tokenError('ISSUER_UNAVAILABLE', `no key set was loaded for issuer ${url}`);
        p = staticProvider(url, keys);
        staticProviders.set(path, p);
      }
      return p;
    }
    const pattern = findMetaIssuer(identity, iss)?.pattern;
    return cache.get(url, pattern, () => discover(url, { ...opts, observedAs: pattern ?? url, ...(issuer.caCert !== undefined ? { caCert: issuer.caCert } : {}) }));
  };

  return {
    async verify(token) {
      const t = unverifiedParts(token);
      const issuer = findIssuer(identity, t.iss);
      if (!issuer) throw new FulgorError('UNKNOWN_ISSUER', `the identity token issuer ${JSON.stringify(t.iss.slice(0, 200))} is not configured`);
      try {
        const p = await provider(issuer, t.iss);
        if (!p.algorithms.includes(t.alg))
          throw tokenError('UNSUPPORTED_TOKEN_ALGORITHM', `the identity token algorithm ${JSON.stringify(t.alg.slice(0, 20))} is not one the issuer advertises`);
        const now = opts.clock();
        const encoded = payloadIsEncoded(t.header);
        checkSignature(t, await lookUpKey(p.keys, t));
        // RFC 7519 §7.2: a JWT's payload is base64url; refused only once signed, as jose did.
        if (!encoded) throw tokenError('MALFORMED_TOKEN', 'the identity token’s payload is not base64url-encoded ("b64": false)');
        checkRegisteredClaims(t.payload, { issuer: issuer.issuerUrl, clientId: issuer.clientId, now });
        return { issuer, claims: t.payload };
      } catch (e) {
        if (e instanceof FulgorError) throw e;
        // What is left is a key the lookup returned that cannot serve the token's alg (reachable: an issuer's RSA key
        // under 2048 bits). No key of the issuer's that this CA accepts verifies the token: refused, with the reason
        // (the key's fault, named without the key), never a 500.
        if (e instanceof TypeError) throw tokenError('INVALID_TOKEN_SIGNATURE', `the identity token cannot be verified with the issuer’s key: ${e.message}`, e);
        throw tokenError('INTERNAL', 'token verification failed unexpectedly', e);
      }
    },
  };
}
