import assert from 'node:assert/strict';
import type { IssuerConfig, IssuerType } from '../../../../config/identity.js';
import { isFulgorError } from '../../../../lib/errors.js';
import { isSupportedIssuerType, mapClaims } from '../../../../oidc/issuers/index.js';

describe('oidc/issuers: mapClaims', () => {
  it('dispatches on the issuer type', () => {
    const email: IssuerConfig = { issuerUrl: 'https://x', clientId: 'c', type: 'email' };
    const p = mapClaims(email, { iss: 'https://x', sub: 's', email: 'a@b.co', email_verified: true });
    assert.equal(p.san.kind, 'email');
  });

  const notYet: IssuerType[] = ['ci-provider', 'buildkite-job', 'codefresh-workflow', 'chainguard-identity', 'kubernetes', 'spiffe', 'uri', 'username'];
  for (const type of notYet) {
    it(`refuses ${type} for now`, () => {
      assert.equal(isSupportedIssuerType(type), false);
      assert.throws(
        () => mapClaims({ issuerUrl: 'https://x', clientId: 'c', type }, { iss: 'https://x', sub: 's' }),
        (e: unknown) => isFulgorError(e) && e.code === 'BAD_REQUEST' && e.message === `issuer type "${type}" is not supported yet`,
      );
    });
  }

  it('does not treat Object.prototype names as types', () => {
    assert.equal(isSupportedIssuerType('toString'), false);
    assert.throws(() => mapClaims({ issuerUrl: 'https://x', clientId: 'c', type: 'constructor' as IssuerType }, {}),
      (e: unknown) => isFulgorError(e) && e.code === 'BAD_REQUEST');
  });
});
