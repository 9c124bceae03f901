// Fulcio's `username` issuer type (pkg/identity/username/principal.go): `sub` is a bare username (no "!", not an
// email address). The certificate carries a critical otherName SAN (type-id 1.3.6.1.4.1.57264.1.7) holding
// "<sub>!<SubjectDomain>"; the proof-of-possession name and .24 are the bare username.

import { FulgorError } from '../../lib/errors.js';
import type { IssuerConfig } from '../identity-config.js';
import type { Claims, Principal } from '../principal.js';
import { baseExtensions, invalidClaim, subjectClaim } from './claims.js';
import { looksLikeEmail } from './subject-domain.js';

export function usernamePrincipal(issuer: IssuerConfig, claims: Claims): Principal {
  // Fulcio would issue "!<SubjectDomain>" for an empty subject: subjectClaim refuses it.
  const sub = subjectClaim(claims);
  const base = baseExtensions(claims);
  if (sub.includes('!')) throw invalidClaim('sub', 'must not contain the "!" character');
  if (looksLikeEmail(sub)) throw invalidClaim('sub', 'must be a username, not an email address');
  const domain = issuer.subjectDomain;
  if (domain === undefined || domain === '') {
    // Config validation rejects this; only a hand-built IssuerConfig gets here.
    throw new FulgorError('INTERNAL', `username issuer ${issuer.issuerUrl} has no SubjectDomain`);
  }
  return { name: sub, san: { kind: 'otherName', value: `${sub}!${domain}` }, extensions: base };
}
