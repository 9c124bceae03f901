// Fulcio's `uri` issuer type (pkg/identity/uri/principal.go): `sub` is a URI, not an email address, whose scheme
// and hostname equal those of the issuer's SubjectDomain. It becomes the URI SAN and the proof-of-possession name.

import { FulgorError } from '../../lib/errors.js';
import type { IssuerConfig } from '../identity-config.js';
import type { Claims, Principal } from '../principal.js';
import { baseExtensions, invalidClaim, subjectClaim } from './claims.js';
import { GoURLError, parseGoURL, type GoURL } from './go-url.js';
import { looksLikeEmail } from './subject-domain.js';
import { goHostname, parseClaimURL, uriSanOf } from './uri-san.js';

function subjectDomain(issuer: IssuerConfig): GoURL {
  try {
    if (issuer.subjectDomain !== undefined && issuer.subjectDomain !== '') return parseGoURL(issuer.subjectDomain);
  } catch (e) {
    if (!(e instanceof GoURLError)) throw e;
  }
  // Config validation rejects this; only a hand-built IssuerConfig gets here.
  throw new FulgorError('INTERNAL', `uri issuer ${issuer.issuerUrl} has no valid SubjectDomain`);
}

export function uriPrincipal(issuer: IssuerConfig, claims: Claims): Principal {
  const sub = subjectClaim(claims);
  const base = baseExtensions(claims);
  if (looksLikeEmail(sub)) throw invalidClaim('sub', 'must be a URI, not an email address');
  const subject = parseClaimURL(sub, 'sub');
  const domain = subjectDomain(issuer);
  if (subject.scheme !== domain.scheme) {
    throw invalidClaim('sub', `has URI scheme "${subject.scheme}", but the subject domain's is "${domain.scheme}"`);
  }
  if (goHostname(subject) !== goHostname(domain)) {
    throw invalidClaim('sub', `has hostname "${goHostname(subject)}", but the subject domain's is "${goHostname(domain)}"`);
  }
  return { name: sub, san: { kind: 'uri', value: uriSanOf(subject, 'sub') }, extensions: base };
}
