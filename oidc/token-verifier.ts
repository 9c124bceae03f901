// Identity token verification: route by the unverified `iss`, then verify fully against that issuer's discovery
// document and keys (signature, advertised algorithm, exact iss, aud contains ClientID, exp with no leeway, nbf/iat
// with at most five minutes of skew). Claims are returned only after every check passed. A token that is not even
// well formed (its header not a JSON object naming an `alg`, its payload not a JSON object, a NumericDate that is
// not a finite number) is refused before any network is used. Discovery is lazy (nothing is fetched at start, so an
// unreachable issuer does not stop the CA); how providers are cached, how failures back off and how MetaIssuers
// discoveries are limited is oidc/provider-cache.ts. An issuer with a JWKSPath is verified against that static key
// set, read when the verifier is created, and never touches the network.
import { decodeJwt, decodeProtectedHeader, errors as joseErrors, jwtVerify, type JWTVerifyGetKey } from 'jose';
import type { Clock } from '../lib/clock.js';
import { FulgorError, type ReasonCode } from '../lib/errors.js';
import { findOutbound } from '../lib/outbound-error.js';
import type { IdentityConfig, IssuerConfig } from './identity-config.js';
import { findIssuer, findMetaIssuer } from './issuer-routing.js';
import { discover, type DiscoveryOptions, type Provider } from './discovery.js';
import { createProviderCache, type ProviderCacheLimits } from './provider-cache.js';
import { loadStaticKeySets, resolveJwksPath, staticProvider } from './static-jwks.js';
import type { Claims } from './principal.js';

export const MAX_CLOCK_SKEW_SECONDS = 300;

export interface VerifiedToken {
  readonly issuer: IssuerConfig;
  readonly claims: Claims;
}

export interface TokenVerifier {
  verify(token: string): Promise<VerifiedToken>;
}

const tokenError = (code: ReasonCode, message: string, cause?: unknown) =>
  new FulgorError(code, message, cause === undefined ? {} : { cause });

const NUMERIC_DATES = ['exp', 'nbf', 'iat'] as const;

/**
 * Reads the header's `alg` and the payload's `iss` without verifying anything (exactly three parts, JSON object
 * header and payload, as Fulcio's issuer pool does), and refuses NumericDates that are not finite numbers.
 */
function unverifiedParts(token: string): { alg: string; iss: string } {
  if (token.split('.').length !== 3) throw tokenError('MALFORMED_TOKEN', 'the identity token is not a compact JWS');
  let header: Record<string, unknown>;
  try {
    header = decodeProtectedHeader(token);
  } catch (e) {
    throw tokenError('MALFORMED_TOKEN', 'the identity token header is not base64url of a JSON object', e);
  }
  const alg = header['alg'];
  if (typeof alg !== 'string' || !alg) throw tokenError('MALFORMED_TOKEN', 'the identity token header names no "alg"');
  let payload: Record<string, unknown>;
  try {
    payload = decodeJwt(token);
  } catch (e) {
    throw tokenError('MALFORMED_TOKEN', 'the identity token payload is not valid base64url JSON', e);
  }
  for (const claim of NUMERIC_DATES) {
    const v = payload[claim];
    if (v !== undefined && (typeof v !== 'number' || !Number.isFinite(v)))
      throw tokenError('INVALID_CLAIM', `the identity token claim "${claim}" is not a finite number of seconds`);
  }
  const iss = payload['iss'];
  if (typeof iss !== 'string' || !iss) throw tokenError('MISSING_CLAIM', 'the identity token has no "iss" claim');
  return { alg, iss };
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
const classifiedKeys = (keys: JWTVerifyGetKey): JWTVerifyGetKey => async (header, token) => {
  try {
    return await keys(header, token);
  } catch (e) {
    if (e instanceof joseErrors.JWKSNoMatchingKey || e instanceof joseErrors.JWKSMultipleMatchingKeys || e instanceof joseErrors.JOSENotSupported) throw e;
    throw keysUnavailable(e);
  }
};

function translate(e: unknown): FulgorError {
  if (e instanceof FulgorError) return e;
  if (e instanceof joseErrors.JWTExpired) return tokenError('TOKEN_EXPIRED', 'the identity token has expired', e);
  if (e instanceof joseErrors.JWTClaimValidationFailed) {
    if (e.reason === 'missing') return tokenError('MISSING_CLAIM', `the identity token has no "${e.claim}" claim`, e);
    if (e.claim === 'aud') return tokenError('AUDIENCE_MISMATCH', 'the identity token audience does not include this CA’s client ID', e);
    if (e.claim === 'iss') return tokenError('ISSUER_MISMATCH', 'the identity token issuer does not match', e);
    if (e.claim === 'nbf' || e.claim === 'iat') return tokenError('TOKEN_NOT_YET_VALID', `the identity token is not valid yet (${e.claim})`, e);
    return tokenError('INVALID_CLAIM', `the identity token claim "${e.claim}" is invalid`, e);
  }
  if (e instanceof joseErrors.JOSEAlgNotAllowed || e instanceof joseErrors.JOSENotSupported)
    return tokenError('UNSUPPORTED_TOKEN_ALGORITHM', 'the identity token is signed with an algorithm this issuer does not use', e);
  if (e instanceof joseErrors.JWSSignatureVerificationFailed || e instanceof joseErrors.JWKSNoMatchingKey || e instanceof joseErrors.JWKSMultipleMatchingKeys)
    return tokenError('INVALID_TOKEN_SIGNATURE', 'the identity token signature does not verify with the issuer’s keys', e);
  // Key-set failures were classified in classifiedKeys: any other JOSE error is about the token itself.
  if (e instanceof joseErrors.JOSEError) return tokenError('MALFORMED_TOKEN', 'the identity token could not be verified', e);
  return tokenError('INTERNAL', 'token verification failed unexpectedly', e);
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
    return cache.get(url, pattern, () => discover(url, { ...opts, ...(issuer.caCert !== undefined ? { caCert: issuer.caCert } : {}) }));
  };

  return {
    async verify(token) {
      const { alg, iss } = unverifiedParts(token);
      const issuer = findIssuer(identity, iss);
      if (!issuer) throw new FulgorError('UNKNOWN_ISSUER', `the identity token issuer ${JSON.stringify(iss.slice(0, 200))} is not configured`);
      try {
        const p = await provider(issuer, iss);
        if (!p.algorithms.includes(alg))
          throw tokenError('UNSUPPORTED_TOKEN_ALGORITHM', `the identity token algorithm ${JSON.stringify(alg.slice(0, 20))} is not one the issuer advertises`);
        const now = opts.clock();
        const { payload } = await jwtVerify(token, classifiedKeys(p.keys), {
          issuer: issuer.issuerUrl,
          audience: issuer.clientId,
          algorithms: [...p.algorithms],
          currentDate: now,
          clockTolerance: MAX_CLOCK_SKEW_SECONDS,
          requiredClaims: ['exp'],
        });
        const nowSeconds = now.getTime() / 1000;
        if ((payload.exp as number) <= nowSeconds) throw tokenError('TOKEN_EXPIRED', 'the identity token has expired');
        if (typeof payload.iat === 'number' && payload.iat > nowSeconds + MAX_CLOCK_SKEW_SECONDS)
          throw tokenError('TOKEN_NOT_YET_VALID', 'the identity token was issued in the future (iat)');
        return { issuer, claims: payload };
      } catch (e) {
        throw translate(e);
      }
    },
  };
}
