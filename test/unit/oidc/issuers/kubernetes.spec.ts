import assert from 'node:assert/strict';
import type { IssuerConfig } from '../../../../oidc/identity-config.js';
import { isFulgorError } from '../../../../lib/errors.js';
import { mapClaims } from '../../../../oidc/issuers/index.js';

const ISS = 'https://oidc.eks.us-west-2.amazonaws.com/id/B02C93B6A2D30341AD01E1B6D48164CB';
const ISSUER: IssuerConfig = { issuerUrl: ISS, clientId: 'sigstore', type: 'kubernetes' };

// Fulcio kubernetes TestPrincipalFromIDToken.
const TOKEN = {
  iss: ISS,
  aud: ['sigstore'],
  sub: 'system:serviceaccount:foo:baz',
  'kubernetes.io': {
    namespace: 'foo',
    pod: { name: 'bar', uid: '2ff0bae1-6b8a-445b-ae03-1f8d2a08d031' },
    serviceaccount: { name: 'baz', uid: '5cb6264f-e283-4365-9a1f-d5a15090527e' },
  },
};

const rejects = (claims: Record<string, unknown>, code: string, claim: string): void => {
  assert.throws(() => mapClaims(ISSUER, claims), (e: unknown) => isFulgorError(e) && e.code === code && e.metadata['claim'] === claim);
};

describe('oidc/issuers: kubernetes', () => {
  it('maps the nested kubernetes.io claims to the service-account URI', () => {
    assert.deepEqual(mapClaims(ISSUER, TOKEN), {
      name: 'system:serviceaccount:foo:baz',
      san: { kind: 'uri', value: 'https://kubernetes.io/namespaces/foo/serviceaccounts/baz' },
      extensions: { issuer: ISS, subject: 'system:serviceaccount:foo:baz' },
    });
  });

  it('maps Fulcio vector V10 (no pod claims)', () => {
    const p = mapClaims(ISSUER, { iss: ISS, sub: 's', 'kubernetes.io': { namespace: 'namespace', serviceaccount: { name: 'sa' } } });
    assert.equal(p.san.value, 'https://kubernetes.io/namespaces/namespace/serviceaccounts/sa');
  });

  it('does not require the values: missing ones leave empty path segments, as in Fulcio', () => {
    assert.equal(mapClaims(ISSUER, { iss: ISS, sub: 's' }).san.value, 'https://kubernetes.io/namespaces//serviceaccounts/');
    assert.equal(
      mapClaims(ISSUER, { iss: ISS, sub: 's', 'kubernetes.io': { namespace: null, serviceaccount: null } }).san.value,
      'https://kubernetes.io/namespaces//serviceaccounts/',
    );
    assert.equal(
      mapClaims(ISSUER, { iss: ISS, sub: 's', 'kubernetes.io': { namespace: 'ns', serviceaccount: {} } }).san.value,
      'https://kubernetes.io/namespaces/ns/serviceaccounts/',
    );
  });

  it('concatenates, then reads the URI as url.Parse does (no path cleaning)', () => {
    const k8s = { namespace: '../x y', serviceaccount: { name: 'sa' } };
    assert.equal(mapClaims(ISSUER, { iss: ISS, sub: 's', 'kubernetes.io': k8s }).san.value,
      'https://kubernetes.io/namespaces/../x%20y/serviceaccounts/sa');
    rejects({ iss: ISS, sub: 's', 'kubernetes.io': { namespace: 'bad%zz' } }, 'INVALID_CLAIM', 'kubernetes.io');
  });

  it('rejects values of the wrong JSON type anywhere in the decoded struct', () => {
    const bad: unknown[] = [
      'kubernetes',
      ['x'],
      { namespace: 1 },
      { pod: 'p' },
      { pod: { name: 1 } },
      { pod: { uid: false } },
      { serviceaccount: [] },
      { serviceaccount: { name: {} } },
      { serviceaccount: { uid: 2 } },
    ];
    for (const k8s of bad) rejects({ ...TOKEN, 'kubernetes.io': k8s }, 'INVALID_CLAIM', 'kubernetes.io');
  });

  it('requires iss, and sub (the proof-of-possession subject) as a non-empty string', () => {
    const { iss: _i, ...noIss } = TOKEN;
    rejects(noIss, 'MISSING_CLAIM', 'iss');
    rejects({ ...TOKEN, sub: 5 }, 'INVALID_CLAIM', 'sub');
    rejects({ ...TOKEN, sub: '' }, 'MISSING_CLAIM', 'sub');
    const { sub: _s, ...noSub } = TOKEN;
    rejects(noSub, 'MISSING_CLAIM', 'sub');
  });
});
