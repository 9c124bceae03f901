// SPIFFE ID and trust-domain parsing with go-spiffe v2's rules (spiffeid.FromString, TrustDomainFromString), which
// Fulcio's `spiffe` issuer type and its config validation use: "spiffe://" + a trust domain of [a-z0-9._-]+, then an
// optional path of "/"-separated non-empty segments of [a-zA-Z0-9._-], none "." or "..", no trailing slash.

export class SpiffeIdError extends Error {
  override readonly name = 'SpiffeIdError';
}

const SCHEME = 'spiffe://';

const isTrustDomainChar = (c: string): boolean => /^[a-z0-9._-]$/.test(c);
const isPathChar = (c: string): boolean => /^[a-zA-Z0-9._-]$/.test(c);

function validatePath(path: string): void {
  if (path === '') return;
  if (!path.startsWith('/')) throw new SpiffeIdError('path must have a leading slash');
  const segments = path.slice(1).split('/');
  segments.forEach((seg, i) => {
    if (seg === '') throw new SpiffeIdError(i === segments.length - 1 ? 'path cannot have a trailing slash' : 'path cannot contain empty segments');
    if (seg === '.' || seg === '..') throw new SpiffeIdError('path cannot contain dot segments');
    for (const c of seg) {
      if (!isPathChar(c)) throw new SpiffeIdError('path segment characters are limited to letters, numbers, dots, dashes, and underscores');
    }
  });
}

export interface SpiffeId {
  readonly trustDomain: string;
  readonly path: string;
}

/** spiffeid.FromString. */
export function parseSpiffeId(id: string): SpiffeId {
  if (id === '') throw new SpiffeIdError('cannot be empty');
  if (!id.startsWith(SCHEME)) throw new SpiffeIdError('scheme is missing or invalid');
  let end = SCHEME.length;
  for (; end < id.length && id[end] !== '/'; end++) {
    if (!isTrustDomainChar(id[end] as string)) {
      throw new SpiffeIdError('trust domain characters are limited to lowercase letters, numbers, dots, dashes, and underscores');
    }
  }
  if (end === SCHEME.length) throw new SpiffeIdError('trust domain is missing');
  validatePath(id.slice(end));
  return { trustDomain: id.slice(SCHEME.length, end), path: id.slice(end) };
}

/** spiffeid.TrustDomainFromString: a bare trust domain name, or anything containing ":/" parsed as a SPIFFE ID. */
export function trustDomainFromString(idOrName: string): string {
  if (idOrName === '') throw new SpiffeIdError('trust domain is missing');
  if (idOrName.includes(':/')) return parseSpiffeId(idOrName).trustDomain;
  for (const c of idOrName) {
    if (!isTrustDomainChar(c)) {
      throw new SpiffeIdError('trust domain characters are limited to lowercase letters, numbers, dots, dashes, and underscores');
    }
  }
  return idOrName;
}
