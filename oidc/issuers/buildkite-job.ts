// Fulcio's legacy `buildkite-job` issuer type (pkg/identity/buildkite/principal.go): the URI SAN is the pipeline,
// https://buildkite.com/<organization_slug>/<pipeline_slug> (plain concatenation, then url.Parse). Only the issuer
// (.1, .8) and subject (.24) extensions are set; the proof-of-possession name is `sub`.

import type { IssuerConfig } from '../identity-config.js';
import type { Claims, Principal } from '../principal.js';
import { baseExtensions, stringClaims, subjectClaim } from './claims.js';
import { GoURLError, parseGoURL } from './go-url.js';
import { uriSan } from './uri-san.js';

export const BUILDKITE_REQUIRED_CLAIMS = ['organization_slug', 'pipeline_slug'] as const;

export function buildkiteJobPrincipal(_issuer: IssuerConfig, claims: Claims): Principal {
  const c = stringClaims(claims, BUILDKITE_REQUIRED_CLAIMS);
  const sub = subjectClaim(claims);
  const base = baseExtensions(claims);
  const url = `https://buildkite.com/${c.organization_slug}/${c.pipeline_slug}`;
  // Blame the organization slug if it alone makes the URL unparseable, else the pipeline slug.
  let blame: string = 'pipeline_slug';
  try {
    parseGoURL(`https://buildkite.com/${c.organization_slug}/x`);
  } catch (e) {
    if (!(e instanceof GoURLError)) throw e;
    blame = 'organization_slug';
  }
  return { name: sub, san: { kind: 'uri', value: uriSan(url, blame) }, extensions: base };
}
