// Fulcio's `spiffe` issuer type (pkg/identity/spiffe/principal.go): `sub` must be a SPIFFE ID whose trust domain
// equals the issuer's configured SPIFFETrustDomain; it becomes the URI SAN and the proof-of-possession name.

import { FulgorError } from '../../lib/errors.js';
import type { IssuerConfig } from '../identity-config.js';
import type { Claims, Principal } from '../principal.js';
import { baseExtensions, invalidClaim, subjectClaim } from './claims.js';
import { parseSpiffeId, SpiffeIdError, trustDomainFromString, type SpiffeId } from './spiffe-id.js';
import { uriSan } from './uri-san.js';

function configuredTrustDomain(issuer: IssuerConfig): string {
  try {
    return trustDomainFromString(issuer.spiffeTrustDomain ?? '');
  } catch (e) {
    // Config validation rejects this; only a hand-built IssuerConfig gets here.
    throw new FulgorError('INTERNAL', `spiffe issuer ${issuer.issuerUrl} has no valid SPIFFE trust domain`, { cause: e });
  }
}

export function spiffePrincipal(issuer: IssuerConfig, claims: Claims): Principal {
  const sub = subjectClaim(claims);
  const base = baseExtensions(claims);
  const trustDomain = configuredTrustDomain(issuer);
  let id: SpiffeId;
  try {
    id = parseSpiffeId(sub);
  } catch (e) {
    if (e instanceof SpiffeIdError) throw invalidClaim('sub', `is not a valid SPIFFE ID: ${e.message}`);
    throw e;
  }
  if (id.trustDomain !== trustDomain) {
    throw invalidClaim('sub', `has SPIFFE trust domain "${id.trustDomain}", not the configured "${trustDomain}"`);
  }
  return { name: sub, san: { kind: 'uri', value: uriSan(sub, 'sub') }, extensions: base };
}
