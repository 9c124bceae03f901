import assert from 'node:assert/strict';
import { V1 } from '../../../helpers/fulcio-vectors.js';
import type { IssuerConfig } from '../../../../oidc/identity-config.js';
import { isFulgorError } from '../../../../lib/errors.js';
import { mapClaims } from '../../../../oidc/issuers/index.js';
import { GITHUB_REQUIRED_CLAIMS } from '../../../../oidc/issuers/github-workflow.js';

const ISSUER: IssuerConfig = {
  issuerUrl: 'https://token.actions.githubusercontent.com',
  clientId: 'sigstore',
  type: 'github-workflow',
};


const rejects = (claims: Record<string, unknown>, code: string, claim: string): void => {
  assert.throws(
    () => mapClaims(ISSUER, claims),
    (e: unknown) => isFulgorError(e) && e.code === code && e.metadata['claim'] === claim,
  );
};

describe('oidc/issuers: github-workflow', () => {
  it('maps Fulcio vector V1 to the SAN and every extension', () => {
    const p = mapClaims(ISSUER, V1);
    assert.equal(p.name, 'repo:sigstore/fulcio:ref:refs/heads/main');
    assert.deepEqual(p.san, { kind: 'uri', value: 'https://github.com/job/workflow/ref' });
    assert.deepEqual(p.extensions, {
      issuer: 'https://token.actions.githubusercontent.com', // .1 and .8
      githubWorkflowTrigger: 'trigger', // .2
      githubWorkflowSha: 'sha', // .3
      githubWorkflowName: 'workflow', // .4
      githubWorkflowRepository: 'sigstore/fulcio', // .5
      githubWorkflowRef: 'refs/heads/main', // .6
      buildSignerUri: 'https://github.com/job/workflow/ref', // .9
      buildSignerDigest: 'example-sha', // .10
      runnerEnvironment: 'cloud-hosted', // .11
      sourceRepositoryUri: 'https://github.com/sigstore/fulcio', // .12
      sourceRepositoryDigest: 'sha', // .13
      sourceRepositoryRef: 'refs/heads/main', // .14
      sourceRepositoryIdentifier: '12345', // .15
      sourceRepositoryOwnerUri: 'https://github.com/username', // .16
      sourceRepositoryOwnerIdentifier: '345', // .17
      buildConfigUri: 'https://github.com/sigstore/other/.github/workflows/foo.yaml@refs/heads/main', // .18
      buildConfigDigest: 'example-sha-other', // .19
      buildTrigger: 'trigger', // .20
      runInvocationUri: 'https://github.com/sigstore/fulcio/actions/runs/42/attempts/1', // .21
      sourceRepositoryVisibilityAtSigning: 'public', // .22
      subject: 'repo:sigstore/fulcio:ref:refs/heads/main', // .24
    });
  });

  it('never emits the deployment environment (.23)', () => {
    const p = mapClaims(ISSUER, { ...V1, environment: 'production' });
    assert.equal(p.extensions.deploymentEnvironment, undefined);
  });

  it('joins paths as url.JoinPath does, cleaning . and .. segments', () => {
    const p = mapClaims(ISSUER, {
      ...V1,
      job_workflow_ref: '../../evil.example/./x/../workflow.yml@refs/heads/main',
      repository: 'a b/c?d',
      repository_owner: 'owner/',
    });
    assert.equal(p.san.value, 'https://github.com/evil.example/workflow.yml@refs/heads/main');
    assert.equal(p.extensions.sourceRepositoryUri, 'https://github.com/a%20b/c%3Fd');
    assert.equal(p.extensions.sourceRepositoryOwnerUri, 'https://github.com/owner/');
    assert.equal(p.extensions.runInvocationUri, 'https://github.com/a%20b/c%3Fd/actions/runs/42/attempts/1');
  });

  it('requires sub, the proof-of-possession subject, as a non-empty string (Fulcio would sign over "")', () => {
    const { sub: _sub, ...noSub } = V1;
    rejects(noSub, 'MISSING_CLAIM', 'sub');
    rejects({ ...V1, sub: '' }, 'MISSING_CLAIM', 'sub');
    rejects({ ...V1, sub: null }, 'MISSING_CLAIM', 'sub');
    rejects({ ...V1, sub: 42 }, 'INVALID_CLAIM', 'sub');
  });

  for (const claim of GITHUB_REQUIRED_CLAIMS) {
    it(`requires ${claim}`, () => {
      const { [claim]: _dropped, ...rest } = V1;
      rejects(rest, 'MISSING_CLAIM', claim);
      rejects({ ...V1, [claim]: '' }, 'MISSING_CLAIM', claim);
      rejects({ ...V1, [claim]: null }, 'MISSING_CLAIM', claim);
    });
  }

  it('reports the missing claim with Fulcio\'s message', () => {
    const { run_id: _r, ...rest } = V1;
    assert.throws(() => mapClaims(ISSUER, rest), { name: 'FulgorError', message: 'token is missing required claim "run_id"' });
  });

  it('rejects numeric claims (Go decodes them into strings)', () => {
    rejects({ ...V1, run_id: 42 }, 'INVALID_CLAIM', 'run_id');
    rejects({ ...V1, repository_id: 12345 }, 'INVALID_CLAIM', 'repository_id');
    rejects({ ...V1, sha: ['sha'] }, 'INVALID_CLAIM', 'sha');
  });

  it('reports a type error before a missing claim', () => {
    const { job_workflow_ref: _j, ...rest } = V1;
    rejects({ ...rest, run_attempt: 1 }, 'INVALID_CLAIM', 'run_attempt');
  });

  it('requires iss', () => {
    const { iss: _iss, ...rest } = V1;
    rejects(rest, 'MISSING_CLAIM', 'iss');
  });
});
