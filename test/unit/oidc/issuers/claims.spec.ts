import assert from 'node:assert/strict';
import { V1, V3, V4 } from '../../../helpers/fulcio-vectors.js';
import { type IssuerConfig, type IssuerType } from '../../../../oidc/identity-config.js';
import { challengeClaimFor, findIssuer } from '../../../../oidc/issuer-routing.js';
import { loadIdentityConfig } from '../../../../oidc/identity-compile.js';
import { ISSUER_TYPES } from '../../../../oidc/issuer-types.js';
import { isFulgorError } from '../../../../lib/errors.js';
import { subjectClaim } from '../../../../oidc/issuers/claims.js';
import { mapClaims } from '../../../../oidc/issuers/index.js';

const isReason = (code: string, claim: string) => (e: unknown) =>
  isFulgorError(e) && e.code === code && e.metadata['claim'] === claim;

describe('oidc/issuers/claims: subjectClaim', () => {
  it('returns a non-empty string sub as it is', () => {
    assert.equal(subjectClaim({ sub: 'repo:acme/app:ref:refs/heads/main' }), 'repo:acme/app:ref:refs/heads/main');
    assert.equal(subjectClaim({ sub: ' ' }), ' ');
  });

  it('refuses an absent, null or empty sub as MISSING_CLAIM and any other JSON type as INVALID_CLAIM', () => {
    for (const claims of [{}, { sub: null }, { sub: '' }]) assert.throws(() => subjectClaim(claims), isReason('MISSING_CLAIM', 'sub'));
    for (const sub of [0, 7, true, false, ['a'], { a: 'b' }]) assert.throws(() => subjectClaim({ sub }), isReason('INVALID_CLAIM', 'sub'));
  });
});

// A valid token for every issuer type whose proof-of-possession subject is `sub`: each must refuse it without one.
const GH_CI = findIssuer(loadIdentityConfig('/work/shared/fixtures/fulcio-identity-config.yaml'), 'https://token.actions.githubusercontent.com');
const ISS = 'https://issuer.example.com';
const VALID: Record<Exclude<IssuerType, 'email'>, readonly [Partial<IssuerConfig>, Record<string, unknown>]> = {
  'github-workflow': [{}, V1],
  'gitlab-pipeline': [{}, V3],
  'codefresh-workflow': [{}, V4],
  'buildkite-job': [{}, { iss: ISS, sub: 's', organization_slug: 'o', pipeline_slug: 'p' }],
  'chainguard-identity': [{}, { iss: ISS, sub: 's' }],
  kubernetes: [{}, { iss: ISS, sub: 's', 'kubernetes.io': { namespace: 'n', serviceaccount: { name: 's' } } }],
  spiffe: [{ spiffeTrustDomain: 'example.com' }, { iss: ISS, sub: 'spiffe://example.com/w' }],
  uri: [{ subjectDomain: 'https://example.com' }, { iss: ISS, sub: 'https://example.com/u' }],
  username: [{ subjectDomain: 'example.com' }, { iss: ISS, sub: 'alice' }],
  'ci-provider': [GH_CI ?? {}, V1],
};

describe('oidc/issuers: every issuer type that signs over sub requires it', () => {
  it('covers every such type', () => {
    const subTypes = ISSUER_TYPES.filter((type) => challengeClaimFor({ issuerUrl: ISS, clientId: 'c', type }) === 'sub');
    assert.deepEqual([...subTypes].sort(), Object.keys(VALID).sort());
    assert.ok(GH_CI?.ci, 'the shipped config has a ci-provider GitHub issuer');
  });

  for (const [type, [extra, claims]] of Object.entries(VALID)) {
    it(`${type}: names the principal by sub; refuses it absent, null, "" or not a string`, () => {
      const issuer = { issuerUrl: ISS, clientId: 'sigstore', ...extra, type: type as IssuerType };
      assert.equal(mapClaims(issuer, claims).name, claims['sub']);
      const { sub: _sub, ...noSub } = claims;
      assert.throws(() => mapClaims(issuer, noSub), isReason('MISSING_CLAIM', 'sub'));
      assert.throws(() => mapClaims(issuer, { ...claims, sub: null }), isReason('MISSING_CLAIM', 'sub'));
      assert.throws(() => mapClaims(issuer, { ...claims, sub: '' }), isReason('MISSING_CLAIM', 'sub'));
      assert.throws(() => mapClaims(issuer, { ...claims, sub: 12 }), isReason('INVALID_CLAIM', 'sub'));
    });
  }
});
