import assert from 'node:assert/strict';
import { V4 } from '../../../helpers/fulcio-vectors.js';
import type { IssuerConfig } from '../../../../oidc/identity-config.js';
import { isFulgorError } from '../../../../lib/errors.js';
import { mapClaims } from '../../../../oidc/issuers/index.js';
import { CODEFRESH_REQUIRED_CLAIMS } from '../../../../oidc/issuers/codefresh-workflow.js';

const ISSUER: IssuerConfig = { issuerUrl: 'https://oidc.codefresh.io', clientId: 'sigstore', type: 'codefresh-workflow' };
const SUB = V4.sub;

const rejects = (claims: Record<string, unknown>, code: string, claim: string): void => {
  assert.throws(() => mapClaims(ISSUER, claims), (e: unknown) => isFulgorError(e) && e.code === code && e.metadata['claim'] === claim);
};

describe('oidc/issuers: codefresh-workflow', () => {
  it('maps Fulcio vector V4 to the SAN and every extension', () => {
    assert.deepEqual(mapClaims(ISSUER, V4), {
      name: SUB,
      san: {
        kind: 'uri',
        value: 'https://g.codefresh.io/test-codefresh/oidc-test/oidc-test-2:628a80b693a15c0f9c13ab75/65e6d5551e47e5bc243ca93f',
      },
      extensions: {
        issuer: 'https://oidc.codefresh.io', // .1 and .8
        buildSignerUri: 'https://g.codefresh.io/build/65e6ebe0bfbfa1782876165e', // .9
        runnerEnvironment: 'hybrid', // .11
        sourceRepositoryUri: 'https://github.com/test-codefresh/fulcio', // .12
        sourceRepositoryRef: 'feat/codefresh-issuer', // .14
        buildConfigUri: 'https://g.codefresh.io/api/pipelines/65e6d5551e47e5bc243ca93f', // .18
        runInvocationUri: 'https://g.codefresh.io/build/65e6ebe0bfbfa1782876165e', // .21
        subject: SUB, // .24
      },
    });
  });

  it('defaults platform_url to https://g.codefresh.io and honours another one (manual trigger case)', () => {
    const { platform_url: _p, ...noPlatform } = V4;
    assert.deepEqual(mapClaims(ISSUER, noPlatform), mapClaims(ISSUER, V4));
    const p = mapClaims(ISSUER, {
      ...V4,
      account_name: 'codefresh-account',
      pipeline_name: 'oidc-test/get-token',
      pipeline_id: '65e5a53e52853dc51a5b0cc1',
      workflow_id: '65e5c23d706f166c4e8985ed',
      platform_url: 'https://pre-prod.codefresh.io',
      scm_repo_url: undefined,
      scm_ref: undefined,
    });
    assert.equal(p.san.value, 'https://pre-prod.codefresh.io/codefresh-account/oidc-test/get-token:628a80b693a15c0f9c13ab75/65e5a53e52853dc51a5b0cc1');
    assert.equal(p.extensions.buildSignerUri, 'https://pre-prod.codefresh.io/build/65e5c23d706f166c4e8985ed');
    assert.equal(p.extensions.buildConfigUri, 'https://pre-prod.codefresh.io/api/pipelines/65e5a53e52853dc51a5b0cc1');
    assert.equal(p.extensions.sourceRepositoryUri, undefined, 'empty scm_repo_url leaves .12 out');
    assert.equal(p.extensions.sourceRepositoryRef, undefined, 'empty scm_ref leaves .14 out');
  });

  it('joins paths as url.JoinPath does', () => {
    const p = mapClaims(ISSUER, { ...V4, platform_url: 'https://cf.example.com/base/', account_name: 'a b', pipeline_name: 'p/../q' });
    assert.equal(p.san.value, 'https://cf.example.com/base/a%20b/q:628a80b693a15c0f9c13ab75/65e6d5551e47e5bc243ca93f');
    assert.equal(p.extensions.runInvocationUri, 'https://cf.example.com/base/build/65e6ebe0bfbfa1782876165e');
  });

  for (const claim of CODEFRESH_REQUIRED_CLAIMS) {
    it(`requires ${claim}`, () => {
      const { [claim]: _dropped, ...rest } = V4;
      rejects(rest, 'MISSING_CLAIM', claim);
      rejects({ ...V4, [claim]: '' }, 'MISSING_CLAIM', claim);
      rejects({ ...V4, [claim]: null }, 'MISSING_CLAIM', claim);
    });
  }

  it('checks required claims in Fulcio\'s order', () => {
    const { account_id: _a, workflow_id: _w, ...rest } = V4;
    rejects(rest, 'MISSING_CLAIM', 'account_id');
  });

  it('rejects a decoded claim of the wrong type, even an optional one', () => {
    rejects({ ...V4, pipeline_id: 1 }, 'INVALID_CLAIM', 'pipeline_id');
    rejects({ ...V4, initiator: true }, 'INVALID_CLAIM', 'initiator');
    rejects({ ...V4, scm_pull_request_target_branch: ['main'] }, 'INVALID_CLAIM', 'scm_pull_request_target_branch');
  });

  it('rejects an unparseable platform_url', () => {
    rejects({ ...V4, platform_url: 'https://bad host' }, 'INVALID_CLAIM', 'platform_url');
    rejects({ ...V4, platform_url: ':nope' }, 'INVALID_CLAIM', 'platform_url');
  });

  it('requires iss', () => {
    const { iss: _i, ...rest } = V4;
    rejects(rest, 'MISSING_CLAIM', 'iss');
  });
});
