// Typed reads of token claims with Fulcio's semantics. Fulcio decodes claims into Go structs: a value of the wrong
// JSON type fails decoding (INVALID_CLAIM), while null or a missing claim decodes to the zero value, which the
// principal then reports as missing (MISSING_CLAIM).

import { FulgorError } from '../../lib/errors.js';
import type { Claims, FulcioExtensionValues } from '../principal.js';

export function missingClaim(name: string): FulgorError {
  return new FulgorError('MISSING_CLAIM', `token is missing required claim "${name}"`, { metadata: { claim: name } });
}

export function invalidClaim(name: string, why: string): FulgorError {
  return new FulgorError('INVALID_CLAIM', `token claim "${name}" ${why}`, { metadata: { claim: name } });
}

/** A Go `string` field: absent or null gives "", any other non-string fails decoding. */
export function stringClaim(claims: Claims, name: string): string {
  const v = claims[name];
  if (v === undefined || v === null) return '';
  if (typeof v !== 'string') throw invalidClaim(name, 'must be a string');
  return v;
}

/**
 * Decodes every named claim as a Go string first (so a type error anywhere wins, as in json.Unmarshal), then
 * requires each of `required`, in order, to be non-empty.
 */
export function stringClaims<const N extends string>(
  claims: Claims,
  names: readonly N[],
  required: readonly N[] = names,
): Record<N, string> {
  const out = {} as Record<N, string>;
  for (const n of names) out[n] = stringClaim(claims, n);
  for (const n of required) if (out[n] === '') throw missingClaim(n);
  return out;
}

/** A Go `int64` field: absent or null gives 0; a string, a fraction or an out-of-range number fails decoding. */
export function int64Claim(claims: Claims, name: string): number {
  const v = claims[name];
  if (v === undefined || v === null) return 0;
  if (typeof v !== 'number' || !Number.isInteger(v)) throw invalidClaim(name, 'must be an integer');
  // As doubles: int64's maximum 2^63-1 parses to 2^63, so 2^63 is the largest value a token can have meant.
  if (v > 2 ** 63 || v < -(2 ** 63)) throw invalidClaim(name, 'is out of range');
  return v;
}

/** The `iss` and `sub` every principal records: .1/.8 (issuer) and .24 (subject, only when non-empty). */
export function baseExtensions(claims: Claims, issuer?: string): { issuer: string; subject?: string } {
  const iss = issuer ?? stringClaim(claims, 'iss');
  if (iss === '') throw missingClaim('iss');
  const sub = claims['sub'];
  return typeof sub === 'string' && sub !== '' ? { issuer: iss, subject: sub } : { issuer: iss };
}

/**
 * The `sub` claim of an issuer type whose proof-of-possession subject it is: a non-empty string. Fulcio takes
 * token.Subject as is, so a token without `sub` gets a certificate for a proof made over ""; a proof over nothing
 * names nobody, so it is refused here: MISSING_CLAIM when absent, null or "", INVALID_CLAIM when not a string.
 */
export function subjectClaim(claims: Claims): string {
  const sub = stringClaim(claims, 'sub');
  if (sub === '') throw missingClaim('sub');
  return sub;
}

/** Drops empty values: Fulcio leaves an extension out when its value is empty. */
export function compactExtensions(ext: FulcioExtensionValues): FulcioExtensionValues {
  const out: Record<string, string> = {};
  const values = ext as unknown as Record<string, unknown>;
  // for…in over a plain literal (own, enumerable keys only), without the pair arrays Object.entries allocates.
  for (const k in values) {
    const v = values[k];
    if (typeof v === 'string' && v !== '') out[k] = v;
  }
  return out as unknown as FulcioExtensionValues;
}

/** x509 writes URI and rfc822 SANs as IA5String; Go refuses to build a certificate with a non-ASCII one. */
export function requireAscii(value: string, claim: string): string {
  if (!/^\p{ASCII}*$/u.test(value)) throw invalidClaim(claim, 'gives a non-ASCII subject alternative name');
  return value;
}

/** Fulcio's stringAsBool for `email_verified`: JSON true/false or "true"/"True"/"false"/"False"; absent is false. */
export function emailVerified(claims: Claims): boolean {
  const v = claims['email_verified'];
  if (v === undefined) return false;
  if (v === true || v === 'true' || v === 'True') return true;
  if (v === false || v === 'false' || v === 'False') return false;
  throw invalidClaim('email_verified', 'must be true or false');
}
