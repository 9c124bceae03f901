import assert from 'node:assert/strict';
import type { IssuerConfig } from '../../../../oidc/identity-config.js';
import { isFulgorError } from '../../../../lib/errors.js';
import { mapClaims } from '../../../../oidc/issuers/index.js';
import { parseSpiffeId, trustDomainFromString } from '../../../../oidc/issuers/spiffe-id.js';

const ISS = 'https://issuer.example.com';
const ISSUER: IssuerConfig = { issuerUrl: ISS, clientId: 'sigstore', type: 'spiffe', spiffeTrustDomain: 'example.com' };

const rejects = (issuer: IssuerConfig, claims: Record<string, unknown>, code: string, claim?: string): void => {
  assert.throws(
    () => mapClaims(issuer, claims),
    (e: unknown) => isFulgorError(e) && e.code === code && (claim === undefined || e.metadata['claim'] === claim),
  );
};

describe('oidc/issuers: spiffe', () => {
  it('maps a SPIFFE ID in the trust domain (spiffe TestPrincipalFromIDToken)', () => {
    assert.deepEqual(mapClaims(ISSUER, { iss: ISS, sub: 'spiffe://example.com/foo/bar' }), {
      name: 'spiffe://example.com/foo/bar',
      san: { kind: 'uri', value: 'spiffe://example.com/foo/bar' },
      extensions: { issuer: ISS, subject: 'spiffe://example.com/foo/bar' },
    });
  });

  it('maps Fulcio vector V9 and refuses a mismatched trust domain', () => {
    const issuer = { ...ISSUER, spiffeTrustDomain: 'foo.com' };
    assert.equal(mapClaims(issuer, { iss: ISS, sub: 'spiffe://foo.com/bar' }).san.value, 'spiffe://foo.com/bar');
    rejects(issuer, { iss: ISS, sub: 'spiffe://bar.com/bar' }, 'INVALID_CLAIM', 'sub');
    rejects(issuer, { iss: ISS, sub: 'spiffe://sub.foo.com/bar' }, 'INVALID_CLAIM', 'sub');
  });

  it('accepts a trust domain configured as a SPIFFE ID (TrustDomainFromString)', () => {
    const issuer = { ...ISSUER, spiffeTrustDomain: 'spiffe://example.com' };
    assert.equal(mapClaims(issuer, { iss: ISS, sub: 'spiffe://example.com/w' }).name, 'spiffe://example.com/w');
    assert.equal(mapClaims(issuer, { iss: ISS, sub: 'spiffe://example.com' }).name, 'spiffe://example.com');
  });

  const invalid = [
    'not-a-spiffe-id',
    'https://example.com/foo',
    'SPIFFE://example.com/foo',
    'spiffe://',
    'spiffe:///foo',
    'spiffe://Example.com/foo',
    'spiffe://example.com/',
    'spiffe://example.com//foo',
    'spiffe://example.com/./foo',
    'spiffe://example.com/foo/..',
    'spiffe://example.com/f%20o',
    'spiffe://example.com/foo?x',
    'spiffe://user@example.com/foo',
    'spiffe://example.com:443/foo',
  ];
  for (const sub of invalid) {
    it(`refuses the invalid SPIFFE ID ${JSON.stringify(sub)}`, () => rejects(ISSUER, { iss: ISS, sub }, 'INVALID_CLAIM', 'sub'));
  }

  it('requires sub and iss', () => {
    rejects(ISSUER, { iss: ISS }, 'MISSING_CLAIM', 'sub');
    rejects(ISSUER, { iss: ISS, sub: '' }, 'MISSING_CLAIM', 'sub');
    rejects(ISSUER, { iss: ISS, sub: 7 }, 'INVALID_CLAIM', 'sub');
    rejects(ISSUER, { sub: 'spiffe://example.com/foo' }, 'MISSING_CLAIM', 'iss');
  });

  it('fails as a server error when the issuer has no valid trust domain (config validation prevents it)', () => {
    const { spiffeTrustDomain: _t, ...noDomain } = ISSUER;
    rejects(noDomain, { iss: ISS, sub: 'spiffe://example.com/foo' }, 'INTERNAL');
    rejects({ ...ISSUER, spiffeTrustDomain: 'Bad Domain' }, { iss: ISS, sub: 'spiffe://example.com/foo' }, 'INTERNAL');
  });
});

describe('oidc/issuers/spiffe-id (go-spiffe rules)', () => {
  it('parses IDs into trust domain and path', () => {
    assert.deepEqual(parseSpiffeId('spiffe://example.com/a/b-c_d.e'), { trustDomain: 'example.com', path: '/a/b-c_d.e' });
    assert.deepEqual(parseSpiffeId('spiffe://td'), { trustDomain: 'td', path: '' });
    assert.deepEqual(parseSpiffeId('spiffe://td/...'), { trustDomain: 'td', path: '/...' });
  });

  it('reads trust domains as TrustDomainFromString does', () => {
    assert.equal(trustDomainFromString('example.com'), 'example.com');
    assert.equal(trustDomainFromString('spiffe://example.com'), 'example.com');
    assert.equal(trustDomainFromString('spiffe://example.com/workload'), 'example.com');
    for (const bad of ['', 'Example.com', 'invalid#domain', 'a b', 'spiffe://', 'spiffe:/example.com', 'spiffe://example.com/']) {
      assert.throws(() => trustDomainFromString(bad), { name: 'SpiffeIdError' }, bad);
    }
  });
});
