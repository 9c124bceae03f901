import assert from 'node:assert/strict';
import type { IssuerConfig } from '../../../../oidc/identity-config.js';
import { isFulgorError } from '../../../../lib/errors.js';
import { mapClaims } from '../../../../oidc/issuers/index.js';

const ISS = 'https://accounts.example.com';
const ISSUER: IssuerConfig = { issuerUrl: ISS, clientId: 'sigstore', type: 'uri', subjectDomain: 'https://example.com' };

const rejects = (claims: Record<string, unknown>, code: string, claim?: string, issuer = ISSUER): void => {
  assert.throws(
    () => mapClaims(issuer, claims),
    (e: unknown) => isFulgorError(e) && e.code === code && (claim === undefined || e.metadata['claim'] === claim),
  );
};

describe('oidc/issuers: uri', () => {
  it('maps Fulcio vector V8: sub is the SAN and the name', () => {
    assert.deepEqual(mapClaims(ISSUER, { iss: ISS, sub: 'https://example.com/users/1' }), {
      name: 'https://example.com/users/1',
      san: { kind: 'uri', value: 'https://example.com/users/1' },
      extensions: { issuer: ISS, subject: 'https://example.com/users/1' },
    });
  });

  // uri TestPrincipalFromIDToken error cases.
  const refused: [string, string][] = [
    ['https://notexample.com/users/1', 'another hostname'],
    ['http://example.com/users/1', 'another scheme'],
    ['user@example.com', 'an email address'],
    ['not\n#a#uri', 'not a URI'],
    ['https://sub.example.com/users/1', 'a subdomain'],
    ['//example.com/users/1', 'no scheme'],
    ['https://user@evil.com/@example.com', 'userinfo trick'],
    ['https://example.com%zz/', 'bad escape'],
    ['jöhn@exämple.com', 'a non-ASCII email address'],
  ];
  for (const [sub, why] of refused) {
    it(`refuses ${JSON.stringify(sub)} (${why})`, () => rejects({ iss: ISS, sub }, 'INVALID_CLAIM', 'sub'));
  }

  it('compares hostnames, so ports and case of scheme do not matter; the SAN is Go\'s String()', () => {
    assert.equal(mapClaims(ISSUER, { iss: ISS, sub: 'https://example.com:8443/u' }).san.value, 'https://example.com:8443/u');
    assert.equal(mapClaims(ISSUER, { iss: ISS, sub: 'HTTPS://example.com/u' }).san.value, 'https://example.com/u');
    const p = mapClaims(ISSUER, { iss: ISS, sub: 'https://example.com/a b' });
    assert.equal(p.san.value, 'https://example.com/a%20b');
    assert.equal(p.name, 'https://example.com/a b', 'the proof is over the raw sub');
    assert.equal(p.extensions.subject, 'https://example.com/a b');
  });

  it('follows a subject domain with a port or path: only scheme and hostname count', () => {
    const issuer = { ...ISSUER, subjectDomain: 'https://example.com:444/people' };
    assert.equal(mapClaims(issuer, { iss: ISS, sub: 'https://example.com/x' }).name, 'https://example.com/x');
  });

  it('requires sub and iss', () => {
    rejects({ iss: ISS }, 'MISSING_CLAIM', 'sub');
    rejects({ iss: ISS, sub: '' }, 'MISSING_CLAIM', 'sub');
    rejects({ iss: ISS, sub: ['https://example.com/'] }, 'INVALID_CLAIM', 'sub');
    rejects({ sub: 'https://example.com/users/1' }, 'MISSING_CLAIM', 'iss');
  });

  it('fails as a server error without a usable SubjectDomain (config validation prevents it)', () => {
    const { subjectDomain: _d, ...noDomain } = ISSUER;
    rejects({ iss: ISS, sub: 'https://example.com/users/1' }, 'INTERNAL', undefined, noDomain);
    rejects({ iss: ISS, sub: 'https://example.com/users/1' }, 'INTERNAL', undefined, { ...ISSUER, subjectDomain: 'https://bad\n' });
  });
});
