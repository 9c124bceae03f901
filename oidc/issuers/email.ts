// Fulcio's `email` issuer type (pkg/identity/email/principal.go, pkg/oauthflow/oidc.go): the verified `email`
// claim becomes an rfc822Name SAN and the proof-of-possession name; the issuer extension is `iss`, or the value
// at the issuer's IssuerClaim JSONPath (Dex federation: `$.federated_claims.connector_id`).

import { FulgorError } from '../../lib/errors.js';
import type { IssuerConfig } from '../identity-config.js';
import type { Claims, Principal } from '../principal.js';
import { claimAtPath } from './claim-path.js';
import { baseExtensions, emailVerified, invalidClaim, missingClaim, stringClaim } from './claims.js';
import { isEmail } from './email-address.js';

export function emailPrincipal(issuer: IssuerConfig, claims: Claims): Principal {
  // Both claims are decoded together, so a type error in either is reported before anything else.
  const email = stringClaim(claims, 'email');
  const verified = emailVerified(claims);
  if (email === '') throw missingClaim('email');
  if (!verified && issuer.skipEmailVerification !== true) {
    throw new FulgorError('EMAIL_NOT_VERIFIED', 'email_verified claim was false', { metadata: { claim: 'email_verified' } });
  }
  if (!isEmail(email)) throw invalidClaim('email', 'is not a valid email address');
  const iss = issuer.issuerClaim !== undefined && issuer.issuerClaim !== '' ? claimAtPath(claims, issuer.issuerClaim) : undefined;
  return {
    name: email,
    san: { kind: 'email', value: email },
    extensions: baseExtensions(claims, iss),
  };
}
