// Helpers for URI identities: Go's (*url.URL).Hostname and the URI SAN as Go's x509 writes it (url.Parse, then
// String(), which must be ASCII for an IA5String).

import { invalidClaim, requireAscii } from './claims.js';
import { type GoURL, GoURLError, goURLString, parseGoURL } from './go-url.js';

/** url.Parse, reporting a failure as INVALID_CLAIM on `claim`. */
export function parseClaimURL(raw: string, claim: string): GoURL {
  try {
    return parseGoURL(raw);
  } catch (e) {
    if (e instanceof GoURLError) throw invalidClaim(claim, `is not a valid URL: ${e.message}`);
    throw e;
  }
}

/** The URI SAN Go writes for this URL. */
export function uriSanOf(u: GoURL, claim: string): string {
  return requireAscii(goURLString(u), claim);
}

/** The URI SAN Go writes for a string it parses with url.Parse. */
export function uriSan(raw: string, claim: string): string {
  return uriSanOf(parseClaimURL(raw, claim), claim);
}

/** (*url.URL).Hostname: the host without its port (a trailing ":digits") and without IPv6 brackets. */
export function goHostname(u: GoURL): string {
  let host = Buffer.from(u.host, 'latin1').toString('utf8');
  const colon = host.lastIndexOf(':');
  if (colon !== -1 && /^:[0-9]*$/.test(host.slice(colon))) host = host.slice(0, colon);
  if (host.startsWith('[') && host.endsWith(']')) host = host.slice(1, -1);
  return host;
}
