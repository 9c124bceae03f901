import assert from 'node:assert/strict';
import type { IssuerConfig, IssuerType } from '../../../../oidc/identity-config.js';
import { ISSUER_TYPES } from '../../../../oidc/issuer-types.js';
import { isFulgorError } from '../../../../lib/errors.js';
import { isSupportedIssuerType, mapClaims } from '../../../../oidc/issuers/index.js';

describe('oidc/issuers: mapClaims', () => {
  it('dispatches on the issuer type', () => {
    const email: IssuerConfig = { issuerUrl: 'https://x', clientId: 'c', type: 'email' };
    const p = mapClaims(email, { iss: 'https://x', sub: 's', email: 'a@b.co', email_verified: true });
    assert.equal(p.san.kind, 'email');
  });

  it('supports every issuer type Fulcio knows', () => {
    for (const type of ISSUER_TYPES) assert.equal(isSupportedIssuerType(type), true, type);
  });

  // One token per type that only that type's mapper accepts, so a wrong registration shows.
  const cases: [IssuerType, Partial<IssuerConfig>, Record<string, unknown>, string][] = [
    ['buildkite-job', {}, { organization_slug: 'o', pipeline_slug: 'p' }, 'https://buildkite.com/o/p'],
    ['codefresh-workflow', {}, { account_id: 'a', pipeline_id: 'p', workflow_id: 'w' }, 'https://g.codefresh.io/:a/p'],
    ['chainguard-identity', {}, {}, 'https://x/s'],
    ['kubernetes', {}, { 'kubernetes.io': { namespace: 'n', serviceaccount: { name: 's' } } }, 'https://kubernetes.io/namespaces/n/serviceaccounts/s'],
    ['spiffe', { spiffeTrustDomain: 'td' }, { sub: 'spiffe://td/w' }, 'spiffe://td/w'],
    ['uri', { subjectDomain: 'https://x.example.com' }, { sub: 'https://x.example.com/u' }, 'https://x.example.com/u'],
    ['username', { subjectDomain: 'example.com' }, {}, 's!example.com'],
  ];
  for (const [type, extra, claims, san] of cases) {
    it(`routes ${type} tokens to its mapper`, () => {
      const p = mapClaims({ issuerUrl: 'https://x', clientId: 'c', type, ...extra }, { iss: 'https://x', sub: 's', ...claims });
      assert.equal(p.san.value, san);
    });
  }

  it('does not treat Object.prototype names as types', () => {
    assert.equal(isSupportedIssuerType('toString'), false);
    assert.throws(() => mapClaims({ issuerUrl: 'https://x', clientId: 'c', type: 'constructor' as IssuerType }, {}),
      (e: unknown) => isFulgorError(e) && e.code === 'BAD_REQUEST');
  });

  it('refuses an unknown type', () => {
    assert.equal(isSupportedIssuerType('magic'), false);
    assert.throws(() => mapClaims({ issuerUrl: 'https://x', clientId: 'c', type: 'magic' as IssuerType }, { iss: 'https://x' }),
      (e: unknown) => isFulgorError(e) && e.code === 'BAD_REQUEST' && e.message === 'issuer type "magic" is not supported');
  });
});
