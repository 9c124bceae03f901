import assert from 'node:assert/strict';
import { V3 } from '../../../helpers/fulcio-vectors.js';
import type { IssuerConfig } from '../../../../oidc/identity-config.js';
import { isFulgorError } from '../../../../lib/errors.js';
import { mapClaims } from '../../../../oidc/issuers/index.js';
import { GITLAB_REQUIRED_CLAIMS } from '../../../../oidc/issuers/gitlab-pipeline.js';

const ISSUER: IssuerConfig = { issuerUrl: 'https://gitlab.com', clientId: 'sigstore', type: 'gitlab-pipeline' };


const rejects = (claims: Record<string, unknown>, code: string, claim: string): void => {
  assert.throws(
    () => mapClaims(ISSUER, claims),
    (e: unknown) => isFulgorError(e) && e.code === code && e.metadata['claim'] === claim,
  );
};

describe('oidc/issuers: gitlab-pipeline', () => {
  it('maps Fulcio vector V3 to the SAN and every extension', () => {
    const p = mapClaims(ISSUER, V3);
    const san = 'https://gitlab.com/cpanato/testing-cosign//.gitlab-ci.yml@refs/heads/main';
    assert.equal(p.name, 'project_path:cpanato/testing-cosign:ref_type:branch:ref:main');
    assert.deepEqual(p.san, { kind: 'uri', value: san });
    assert.deepEqual(p.extensions, {
      issuer: 'https://gitlab.com', // .1 and .8
      buildSignerUri: san, // .9
      buildSignerDigest: '714a629c0b401fdce83e847fc9589983fc6f46bc', // .10
      runnerEnvironment: 'gitlab-hosted', // .11
      sourceRepositoryUri: 'https://gitlab.com/cpanato/testing-cosign', // .12
      sourceRepositoryDigest: '714a629c0b401fdce83e847fc9589983fc6f46bc', // .13
      sourceRepositoryRef: 'refs/heads/main', // .14
      sourceRepositoryIdentifier: '42831435', // .15
      sourceRepositoryOwnerUri: 'https://gitlab.com/cpanato', // .16
      sourceRepositoryOwnerIdentifier: '1730270', // .17
      buildConfigUri: san, // .18
      buildConfigDigest: '714a629c0b401fdce83e847fc9589983fc6f46bc', // .19
      buildTrigger: 'push', // .20
      runInvocationUri: 'https://gitlab.com/cpanato/testing-cosign/-/jobs/3659681386', // .21
      sourceRepositoryVisibilityAtSigning: 'public', // .22
      subject: 'project_path:cpanato/testing-cosign:ref_type:branch:ref:main', // .24
    });
  });

  it('builds refs/tags/ for tags', () => {
    assert.equal(mapClaims(ISSUER, { ...V3, ref_type: 'tag', ref: 'v1.0.0' }).extensions.sourceRepositoryRef, 'refs/tags/v1.0.0');
  });

  it('leaves out .10, .19 and .22 when the optional claims are absent', () => {
    const { ci_config_sha: _s, project_visibility: _v, ...rest } = V3;
    const ext = mapClaims(ISSUER, rest).extensions;
    assert.equal(ext.buildSignerDigest, undefined);
    assert.equal(ext.buildConfigDigest, undefined);
    assert.equal(ext.sourceRepositoryVisibilityAtSigning, undefined);
  });

  it('rejects optional claims of the wrong type', () => {
    rejects({ ...V3, ci_config_sha: 5 }, 'INVALID_CLAIM', 'ci_config_sha');
    rejects({ ...V3, project_visibility: true }, 'INVALID_CLAIM', 'project_visibility');
  });

  it('forces the SAN scheme to https', () => {
    assert.equal(mapClaims(ISSUER, { ...V3, ci_config_ref_uri: 'http://gitlab.com/g/p//.gitlab-ci.yml@refs/heads/main' }).san.value,
      'https://gitlab.com/g/p//.gitlab-ci.yml@refs/heads/main');
    assert.equal(mapClaims(ISSUER, { ...V3, ci_config_ref_uri: 'gitlab.example.com/g/p//ci.yml@refs/tags/v1' }).san.value,
      'https://gitlab.example.com/g/p//ci.yml@refs/tags/v1');
  });

  it('rejects a ci_config_ref_uri Go cannot parse', () => {
    rejects({ ...V3, ci_config_ref_uri: 'gitlab.com/%zz' }, 'INVALID_CLAIM', 'ci_config_ref_uri');
    rejects({ ...V3, ci_config_ref_uri: 'gitlab.com/a\nb' }, 'INVALID_CLAIM', 'ci_config_ref_uri');
  });

  for (const claim of GITLAB_REQUIRED_CLAIMS) {
    it(`requires ${claim}`, () => {
      const { [claim]: _dropped, ...rest } = V3;
      rejects(rest, 'MISSING_CLAIM', claim);
      rejects({ ...V3, [claim]: '' }, 'MISSING_CLAIM', claim);
    });
  }

  it('requires a non-zero integer runner_id', () => {
    const { runner_id: _r, ...rest } = V3;
    rejects(rest, 'MISSING_CLAIM', 'runner_id');
    rejects({ ...V3, runner_id: 0 }, 'MISSING_CLAIM', 'runner_id');
    rejects({ ...V3, runner_id: null }, 'MISSING_CLAIM', 'runner_id');
    rejects({ ...V3, runner_id: '1' }, 'INVALID_CLAIM', 'runner_id');
    rejects({ ...V3, runner_id: 1.5 }, 'INVALID_CLAIM', 'runner_id');
    assert.equal(mapClaims(ISSUER, { ...V3, runner_id: -7 }).san.kind, 'uri');
  });

  it('rejects a ref_type other than branch or tag', () => {
    rejects({ ...V3, ref_type: 'merge_request' }, 'INVALID_CLAIM', 'ref_type');
    rejects({ ...V3, ref_type: 'Branch' }, 'INVALID_CLAIM', 'ref_type');
  });

  it('rejects numeric string claims', () => {
    rejects({ ...V3, project_id: 42831435 }, 'INVALID_CLAIM', 'project_id');
  });
});
