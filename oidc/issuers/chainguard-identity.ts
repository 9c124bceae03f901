// Fulcio's `chainguard-identity` issuer type (pkg/identity/chainguard/principal.go). The URI SAN is
// url.Parse(iss).JoinPath(sub); only the issuer (.1, .8) and subject (.24) extensions are set. The
// proof-of-possession name is what cosign signs (sigstore oauthflow.SubjectFromToken): the `email` claim when
// present, which then must be verified, else `sub`.

import { FulgorError } from '../../lib/errors.js';
import type { IssuerConfig } from '../identity-config.js';
import type { Claims, Principal } from '../principal.js';
import { baseExtensions, emailVerified, invalidClaim, stringClaim, subjectClaim } from './claims.js';
import { goJoinPath } from './go-url.js';
import { parseClaimURL, uriSanOf } from './uri-san.js';

/** Fulcio decodes `act` (map[string]string) and `internal["service-principal"]` (string): type errors fail. */
function checkDecodedClaims(claims: Claims): void {
  const act = claims['act'];
  if (act !== undefined && act !== null) {
    if (typeof act !== 'object' || Array.isArray(act)) throw invalidClaim('act', 'must be an object');
    for (const v of Object.values(act)) {
      if (v !== null && typeof v !== 'string') throw invalidClaim('act', 'must map names to strings');
    }
  }
  const internal = claims['internal'];
  if (internal !== undefined && internal !== null) {
    if (typeof internal !== 'object' || Array.isArray(internal)) throw invalidClaim('internal', 'must be an object');
    const sp = (internal as Record<string, unknown>)['service-principal'];
    if (sp !== undefined && sp !== null && typeof sp !== 'string') throw invalidClaim('internal', '"service-principal" must be a string');
  }
}

export function chainguardIdentityPrincipal(_issuer: IssuerConfig, claims: Claims): Principal {
  checkDecodedClaims(claims);
  const email = stringClaim(claims, 'email');
  const verified = emailVerified(claims);
  // Required even beside an email: Fulcio would name the issuer URL itself as the SAN.
  const sub = subjectClaim(claims);
  const base = baseExtensions(claims);
  if (email !== '' && !verified) {
    throw new FulgorError('EMAIL_NOT_VERIFIED', 'email_verified claim was false', { metadata: { claim: 'email_verified' } });
  }
  const san = uriSanOf(goJoinPath(parseClaimURL(base.issuer, 'iss'), sub), 'sub');
  return { name: email !== '' ? email : sub, san: { kind: 'uri', value: san }, extensions: base };
}
