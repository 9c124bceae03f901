// Identity token verification: route by the unverified `iss`, then verify fully against that issuer's discovery
// document and keys (signature, advertised algorithm, exact iss, aud contains ClientID, exp with no leeway, nbf/iat
// with at most five minutes of skew). Claims are returned only after every check passed. Discovery is lazy (nothing
// is fetched at start, so an unreachable issuer does not stop the CA) and a failed discovery is retried on the next
// token. An issuer with a JWKSPath is verified against that static key set, read when the verifier is created, and
// never touches the network.
import { decodeJwt, decodeProtectedHeader, errors as joseErrors, jwtVerify } from 'jose';
import type { Clock } from '../lib/clock.js';
import { FulgorError, type ReasonCode } from '../lib/errors.js';
import type { IdentityConfig, IssuerConfig } from '../config/identity.js';
import { findIssuer } from '../config/identity.js';
import { discover, type DiscoveryOptions, type Provider } from './discovery.js';
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

/** Reads `iss` without verifying anything, as Fulcio's issuer pool does (exactly three parts, JSON payload). */
function unverifiedIssuer(token: string): string {
  if (token.split('.').length !== 3) throw tokenError('MALFORMED_TOKEN', 'the identity token is not a compact JWS');
  let payload: Record<string, unknown>;
  try {
    payload = decodeJwt(token);
  } catch (e) {
    throw tokenError('MALFORMED_TOKEN', 'the identity token payload is not valid base64url JSON', e);
  }
  const iss = payload['iss'];
  if (typeof iss !== 'string' || !iss) throw tokenError('MISSING_CLAIM', 'the identity token has no "iss" claim');
  return iss;
}

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
  if (e instanceof joseErrors.JWKSTimeout || e instanceof joseErrors.JWKSInvalid || e instanceof TypeError)
    return tokenError('ISSUER_UNAVAILABLE', 'the issuer’s keys could not be fetched', e);
  if (e instanceof joseErrors.JOSEError && /^(Expected 200 OK|Failed to parse) .*JSON Web Key Set/.test(e.message))
    return tokenError('ISSUER_UNAVAILABLE', 'the issuer’s keys could not be fetched', e);
  if (e instanceof joseErrors.JOSEError) return tokenError('MALFORMED_TOKEN', 'the identity token could not be verified', e);
  return tokenError('INTERNAL', 'token verification failed unexpectedly', e);
}

export interface TokenVerifierOptions extends Omit<DiscoveryOptions, 'caCert'> {
  readonly clock: Clock;
  /** Where relative JWKSPath files are found: the config file's directory (default: the working directory). */
  readonly baseDir?: string;
}

/** Throws (listing every unusable file) when an issuer's JWKSPath cannot be read as a public JWKS. */
export function createTokenVerifier(identity: IdentityConfig, opts: TokenVerifierOptions): TokenVerifier {
  const staticKeys = loadStaticKeySets(identity, opts.baseDir);
  const providers = new Map<string, Promise<Provider>>();
  const provider = (issuer: IssuerConfig): Promise<Provider> => {
    const url = issuer.issuerUrl;
    let p = providers.get(url);
    if (!p) {
      const keys = issuer.jwksPath === undefined ? undefined : staticKeys.get(resolveJwksPath(issuer.jwksPath, opts.baseDir));
      if (keys !== undefined) p = Promise.resolve(staticProvider(url, keys));
      else if (issuer.jwksPath !== undefined) throw tokenError('ISSUER_UNAVAILABLE', `no key set was loaded for issuer ${url}`);
      else p = discover(url, { ...opts, ...(issuer.caCert !== undefined ? { caCert: issuer.caCert } : {}) });
      providers.set(url, p);
      // A failed discovery is retried on the next request for this issuer.
      p.catch(() => providers.delete(url));
    }
    return p;
  };

  return {
    async verify(token) {
      const iss = unverifiedIssuer(token);
      const issuer = findIssuer(identity, iss);
      if (!issuer) throw new FulgorError('UNKNOWN_ISSUER', `the identity token issuer ${JSON.stringify(iss.slice(0, 200))} is not configured`);
      try {
        const p = await provider(issuer);
        const { alg } = decodeProtectedHeader(token);
        if (!alg || !p.algorithms.includes(alg))
          throw tokenError('UNSUPPORTED_TOKEN_ALGORITHM', `the identity token algorithm ${JSON.stringify(alg)} is not one the issuer advertises`);
        const now = opts.clock();
        const { payload } = await jwtVerify(token, p.keys, {
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
