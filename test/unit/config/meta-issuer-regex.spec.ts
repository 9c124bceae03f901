import assert from 'node:assert/strict';
import { metaIssuerRegex } from '../../../oidc/issuer-routing.js';

// Fulcio's TestMetaURLs (pkg/config/config_test.go), fulcio.md §5.1.
describe('config/identity: metaIssuerRegex', () => {
  const cases: { pattern: string; url: string; match: boolean }[] = [
    { pattern: 'https://oidc.eks.*.amazonaws.com/id/*', url: 'https://oidc.eks.us-west-2.amazonaws.com/id/B02C93B6A2D30341AD01E1B6D48164CB', match: true },
    { pattern: 'https://oidc.eks.*.amazonaws.com/id/*', url: 'https://oidc.eks.us.west.2.amazonaws.com/id/B02C93B6A2D30341AD01E1B6D48164CB', match: false },
    { pattern: 'https://oidc.eks.*.amazonaws.com/id/*', url: 'http://localhost?issuer=https://oidc.eks.us-west-2.amazonaws.com/id/B02C93B6A2D30341AD01E1B6D48164CB', match: false },
    { pattern: 'https://oidc.eks.*.amazonaws.com/id/*', url: 'https://oidc.eks.us-west-2.amazonaws.com/id/B02C93B6A2D30341AD01E1B6D48164CB/extra', match: false },
    { pattern: 'https://oidc.prod-aks.azure.com/*', url: 'https://oidc.prod-aks.azure.com/ba7f6bb1-8ef0-4b8d-b4c2-6a26b6bf9a3a', match: true },
    { pattern: 'https://oidc.prod-aks.azure.com/*', url: 'https://oidc.prod-aks.azure.com/ba7f6bb1-8ef0-4b8d-b4c2-6a26b6bf9a3a/5b58c6f6-8d0e-4ccd-a6f2-1bcf2b3b5c34', match: false },
    { pattern: 'https://oidc.prod-aks.azure.com/*', url: 'https://oidc.prod-aks.azure.com/ba7f6bb1-8ef0-4b8d-b4c2-6a26b6bf9a3a/', match: false },
    { pattern: 'https://oidc.prod-aks.azure.com/*/', url: 'https://oidc.prod-aks.azure.com/ba7f6bb1-8ef0-4b8d-b4c2-6a26b6bf9a3a/', match: true },
    { pattern: 'https://container.googleapis.com/v1/projects/*/locations/*/clusters/*', url: 'https://container.googleapis.com/v1/projects/mattmoor-credit/locations/us-west1-b/clusters/tenant-cluster', match: true },
    { pattern: 'https://token.actions.githubusercontent.com/*', url: 'https://token.actions.githubusercontent.com/my_enterprise', match: true },
    { pattern: 'https://token.actions.githubusercontent.com/*', url: 'https://token.actions.githubusercontent.com/', match: false },
    // quoting: the dots are literal, and an empty wildcard never matches
    { pattern: 'https://oidc.circleci.com/org/*', url: 'https://oidcXcircleci.com/org/abc', match: false },
    { pattern: 'https://oidc.circleci.com/org/*', url: 'https://oidc.circleci.com/org/', match: false },
    { pattern: 'https://a.example.com/(x)+/*', url: 'https://a.example.com/(x)+/y', match: true },
  ];
  for (const { pattern, url, match } of cases) {
    it(`${pattern} ${match ? 'matches' : 'does not match'} ${url}`, () => {
      assert.equal(metaIssuerRegex(pattern).test(url), match);
    });
  }

  it('is anchored at both ends', () => {
    const re = metaIssuerRegex('https://oidc.circleci.com/org/*');
    assert.equal(re.source.startsWith('^'), true);
    assert.equal(re.source.endsWith('$'), true);
    assert.equal(re.test('xhttps://oidc.circleci.com/org/abc'), false);
  });
});
