// The registered claims of a signature-checked identity token, checked in the order jose's jwtVerify checked them
// (so a token wrong in two ways gets the same answer as before): present iss, aud and exp; iss exactly the issuer's
// URL; aud the client ID or an array holding it; nbf at most MAX_CLOCK_SKEW_SECONDS ahead; exp strictly in the
// future with no leeway; iat at most MAX_CLOCK_SKEW_SECONDS ahead. NumericDates that are not finite numbers are
// refused first of all (oidc/token-verifier.ts calls checkNumericDates before any network is used).
import { FulgorError } from '../lib/errors.js';

export const MAX_CLOCK_SKEW_SECONDS = 300;

export interface ExpectedClaims {
  readonly issuer: string;
  readonly clientId: string;
  readonly now: Date;
}

const NUMERIC_DATES = ['exp', 'nbf', 'iat'] as const;
const REQUIRED = ['iss', 'aud', 'exp'] as const;

/** Refuses an exp, nbf or iat that is present but not a finite number (JSON's 1e400 parses as Infinity). */
export function checkNumericDates(claims: Readonly<Record<string, unknown>>): void {
  for (const claim of NUMERIC_DATES) {
    const v = claims[claim];
    if (v !== undefined && (typeof v !== 'number' || !Number.isFinite(v)))
      throw new FulgorError('INVALID_CLAIM', `the identity token claim "${claim}" is not a finite number of seconds`);
  }
}

export function checkRegisteredClaims(claims: Readonly<Record<string, unknown>>, expected: ExpectedClaims): void {
  checkNumericDates(claims);
  for (const claim of REQUIRED)
    if (!Object.hasOwn(claims, claim)) throw new FulgorError('MISSING_CLAIM', `the identity token has no "${claim}" claim`);
  if (claims['iss'] !== expected.issuer) throw new FulgorError('ISSUER_MISMATCH', 'the identity token issuer does not match');
  const aud = claims['aud'];
  if (!(aud === expected.clientId || (Array.isArray(aud) && aud.includes(expected.clientId))))
    throw new FulgorError('AUDIENCE_MISMATCH', 'the identity token audience does not include this CA’s client ID');
  const nowSeconds = expected.now.getTime() / 1000;
  // nbf is compared with whole seconds, as jose did; exp and iat with the exact time.
  const nbf = claims['nbf'];
  if (typeof nbf === 'number' && nbf > Math.floor(nowSeconds) + MAX_CLOCK_SKEW_SECONDS)
    throw new FulgorError('TOKEN_NOT_YET_VALID', 'the identity token is not valid yet (nbf)');
  if ((claims['exp'] as number) <= nowSeconds) throw new FulgorError('TOKEN_EXPIRED', 'the identity token has expired');
  const iat = claims['iat'];
  if (typeof iat === 'number' && iat > nowSeconds + MAX_CLOCK_SKEW_SECONDS)
    throw new FulgorError('TOKEN_NOT_YET_VALID', 'the identity token was issued in the future (iat)');
}
