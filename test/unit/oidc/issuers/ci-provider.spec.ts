import assert from 'node:assert/strict';
import { V1 as V1_CLAIMS, V3 as V3_CLAIMS, V4 as V4_CLAIMS } from '../../../helpers/fulcio-vectors.js';
import { type IssuerConfig } from '../../../../oidc/identity-config.js';
import { findIssuer } from '../../../../oidc/issuer-routing.js';
import { loadIdentityConfig, parseIdentityConfig } from '../../../../oidc/identity-compile.js';
import { isFulgorError } from '../../../../lib/errors.js';
import { ciProviderPrincipal, flattenClaims } from '../../../../oidc/issuers/ci-provider.js';
import { githubWorkflowPrincipal } from '../../../../oidc/issuers/github-workflow.js';
import { gitlabPipelinePrincipal } from '../../../../oidc/issuers/gitlab-pipeline.js';

// The ci-provider mappings exactly as Fulcio ships them (config/identity/config.yaml, unchanged copy).
const SHIPPED = loadIdentityConfig('/work/shared/fixtures/fulcio-identity-config.yaml');
const issuer = (url: string): IssuerConfig => {
  const found = findIssuer(SHIPPED, url);
  assert.ok(found?.ci, `no ci-provider issuer for ${url}`);
  return found;
};
const GH = issuer('https://token.actions.githubusercontent.com');
const GL = issuer('https://gitlab.com');

const V1 = { ...V1_CLAIMS, iat: 1753000000, exp: 1753000600 };

const V3 = { ...V3_CLAIMS };

const fails = (f: () => unknown, code: string, claim: string | undefined, message: RegExp): void => {
  assert.throws(f, (e: unknown) => {
    assert.ok(isFulgorError(e), String(e));
    assert.equal(e.code, code);
    assert.equal(e.metadata['claim'], claim);
    assert.match(e.message, message);
    return true;
  });
};

describe('oidc/issuers: ci-provider', () => {
  describe('equivalence with the built-in types, using the shipped templates', () => {
    it('GitHub V1: the same SAN and extensions as github-workflow, and name = sub', () => {
      const ci = ciProviderPrincipal(GH, V1);
      assert.deepEqual(ci, githubWorkflowPrincipal({ ...GH, type: 'github-workflow' }, V1));
      assert.equal(ci.san.value, 'https://github.com/job/workflow/ref');
      assert.equal(ci.name, V1.sub);
      assert.equal(ci.extensions.subject, V1.sub);
      assert.equal(ci.extensions.deploymentEnvironment, undefined);
    });

    it('GitHub V2: plus the deployment environment (.23) only when `environment` is set', () => {
      const ci = ciProviderPrincipal(GH, { ...V1, environment: 'production' });
      assert.deepEqual(ci.extensions, { ...githubWorkflowPrincipal(GH, V1).extensions, deploymentEnvironment: 'production' });
      assert.deepEqual(ciProviderPrincipal(GH, { ...V1, environment: '' }).extensions, githubWorkflowPrincipal(GH, V1).extensions);
    });

    it('GitLab V3: the same SAN and extensions as gitlab-pipeline, refs/tags for a tag, .23 when set', () => {
      assert.deepEqual(ciProviderPrincipal(GL, V3), gitlabPipelinePrincipal({ ...GL, type: 'gitlab-pipeline' }, V3));
      assert.equal(ciProviderPrincipal(GL, V3).san.value, 'https://gitlab.com/cpanato/testing-cosign//.gitlab-ci.yml@refs/heads/main');
      const tag = { ...V3, ref_type: 'tag', ref: 'v1' };
      assert.equal(ciProviderPrincipal(GL, tag).extensions.sourceRepositoryRef, 'refs/tags/v1');
      assert.equal(ciProviderPrincipal(GL, { ...V3, environment: 'prod' }).extensions.deploymentEnvironment, 'prod');
    });

    it('Codefresh V4 (fulcio.md §4.5)', () => {
      const claims = V4_CLAIMS;
      const p = ciProviderPrincipal(issuer('https://oidc.codefresh.io'), claims);
      assert.deepEqual(p.san, { kind: 'uri', value: 'https://g.codefresh.io/test-codefresh/oidc-test/oidc-test-2:628a80b693a15c0f9c13ab75/65e6d5551e47e5bc243ca93f' });
      assert.deepEqual(p.extensions, {
        issuer: 'https://oidc.codefresh.io',
        subject: claims.sub,
        buildSignerUri: 'https://g.codefresh.io/build/65e6ebe0bfbfa1782876165e',
        runInvocationUri: 'https://g.codefresh.io/build/65e6ebe0bfbfa1782876165e',
        runnerEnvironment: 'hybrid',
        sourceRepositoryUri: 'https://github.com/test-codefresh/fulcio',
        sourceRepositoryRef: 'feat/codefresh-issuer',
        buildConfigUri: 'https://g.codefresh.io/api/pipelines/65e6d5551e47e5bc243ca93f',
      });
      // platform_url defaults; scm_* and runner_environment default to "" and are left out.
      const { platform_url: _p, scm_repo_url: _r, scm_ref: _s, runner_environment: _e, ...minimal } = claims;
      const q = ciProviderPrincipal(issuer('https://oidc.codefresh.io'), minimal);
      assert.equal(q.san.value, p.san.value);
      assert.deepEqual(Object.keys(q.extensions).sort(), ['buildConfigUri', 'buildSignerUri', 'issuer', 'runInvocationUri', 'subject']);
    });

    it('Buildkite V5 (fulcio.md §4.4 SAN, plus the templated extensions)', () => {
      const claims = {
        iss: 'https://agent.buildkite.com',
        sub: 'organization:acme-inc:pipeline:bash-example:ref:refs/heads/main:commit:aaaa:step:build',
        organization_slug: 'acme-inc',
        pipeline_slug: 'bash-example',
        build_number: 1,
        job_id: '0184990a-477b-4fa8-9968-496074483cee',
        runner_environment: 'buildkite-hosted',
        build_commit: 'aaaa',
        build_source: 'webhook',
      };
      const p = ciProviderPrincipal(issuer('https://agent.buildkite.com'), claims);
      assert.deepEqual(p.san, { kind: 'uri', value: 'https://buildkite.com/acme-inc/bash-example' });
      assert.deepEqual(p.extensions, {
        issuer: 'https://agent.buildkite.com',
        subject: claims.sub,
        runInvocationUri: 'https://buildkite.com/acme-inc/bash-example/builds/1#0184990a-477b-4fa8-9968-496074483cee',
        runnerEnvironment: 'buildkite-hosted',
        sourceRepositoryDigest: 'aaaa',
        buildTrigger: 'webhook',
      });
      fails(() => ciProviderPrincipal(issuer('https://agent.buildkite.com'), { ...claims, build_source: undefined }), 'MISSING_CLAIM', 'build_source', /build-trigger.*"build_source"/);
    });

    it('CircleCI (meta issuer): index with dotted keys, the literal "" quirk, and // from the default platform_url', () => {
      const c = (k: string) => `oidc.circleci.com/${k}`;
      const claims = {
        iss: 'https://oidc.circleci.com/org/abc',
        sub: 'org/abc/project/p/user/u',
        [c('project-id')]: 'p1',
        [c('pipeline-definition-id')]: 'd1',
        [c('pipeline-id')]: 'pl1',
        [c('workflow-id')]: 'w1',
        [c('job-id')]: 'j1',
        [c('vcs-ref')]: 'refs/heads/main',
        [c('vcs-origin')]: 'github.com/acme/app',
      };
      const circle = issuer('https://oidc.circleci.com/org/abc');
      const p = ciProviderPrincipal(circle, claims);
      assert.equal(p.san.value, 'https://circleci.com/api/v2/projects/p1/pipeline-definitions/d1');
      assert.equal(p.extensions.buildConfigUri, 'https://circleci.com/api/v2/pipeline/pl1/config');
      assert.equal(p.extensions.runInvocationUri, 'https://app.circleci.com//workflow/w1/job/j1');
      assert.equal(p.extensions.runnerEnvironment, '""');
      assert.equal(ciProviderPrincipal(circle, { ...claims, [c('ssh-rerun')]: true }).extensions.runnerEnvironment, 'ssh-rerun');
    });

    it('Buddy (fulcio.md §4.11)', () => {
      const claims = { iss: 'https://oidc.buddyusercontent.com', sub: 's', workspace_domain: 'ws', project_name: 'pr', pipeline_id: 7, execution_id: 9, triggered_on: 'CLICK', runner_environment: 'platform-hosted' };
      const p = ciProviderPrincipal(issuer('https://oidc.buddyusercontent.com'), claims);
      assert.equal(p.san.value, 'https://app.buddy.works/ws/pr/pipelines/pipeline/7');
      assert.equal(p.extensions.runInvocationUri, 'https://app.buddy.works/ws/pr/pipelines/pipeline/7/execution/9');
      assert.equal(p.extensions.sourceRepositoryOwnerUri, 'https://app.buddy.works/ws');
      assert.equal(p.extensions.sourceRepositoryDigest, undefined);
    });
  });

  describe('Fulcio semantics', () => {
    it('flattens claims to strings as Fulcio does (integral numbers without exponent, booleans, %v)', () => {
      assert.deepEqual(flattenClaims({ a: 1.0, b: 1000000.0, c: 1753000000.0, d: 1.4, e: true, f: 's', g: { k: 'v' }, h: ['x', 2], i: null }), {
        a: '1', b: '1000000', c: '1753000000', d: '1.4', e: 'true', f: 's', g: 'map[k:v]', h: '[x 2]', i: '<nil>',
      });
      const p = ciProviderPrincipal(GH, { ...V1, run_id: 42, run_attempt: 1, repository_id: 12345 });
      assert.equal(p.extensions.runInvocationUri, 'https://github.com/sigstore/fulcio/actions/runs/42/attempts/1');
      assert.equal(p.extensions.sourceRepositoryIdentifier, '12345');
    });

    it('keeps the operator’s defaults: a token claim cannot replace them unless the mapping says so', () => {
      const p = ciProviderPrincipal(GH, { ...V1, url: 'https://evil.example.com' });
      assert.equal(p.san.value, 'https://github.com/job/workflow/ref', 'url is an operator default');
      assert.equal(p.extensions.sourceRepositoryUri, 'https://github.com/sigstore/fulcio');
      assert.equal(ciProviderPrincipal(GH, { ...V1, environment: 'production' }).extensions.deploymentEnvironment, 'production', 'an empty default is an optional claim');
      const cfg = (override: unknown) =>
        parseIdentityConfig(
          JSON.stringify({
            OIDCIssuers: { 'https://ci.example.com': { ClientID: 'c', Type: 'ci-provider', CIProvider: 'p' } },
            CIIssuerMetadata: { p: { DefaultTemplateValues: { url: 'https://ci.example.com' }, ClaimsOverrideDefaults: override, SubjectAlternativeNameTemplate: '{{ .url }}/{{ .job }}' } },
          }),
        );
      const open = cfg(['url']).oidcIssuers.get('https://ci.example.com')!;
      const claims = { iss: 'https://ci.example.com', sub: 's', job: 'j' };
      assert.equal(ciProviderPrincipal(open, { ...claims, url: 'https://mirror.example.com' }).san.value, 'https://mirror.example.com/j');
      assert.equal(ciProviderPrincipal(open, claims).san.value, 'https://ci.example.com/j');
      assert.throws(() => cfg(['nope']), /ClaimsOverrideDefaults: "nope" is not one of DefaultTemplateValues/);
      assert.throws(() => cfg('url'), /ClaimsOverrideDefaults: must be a list/);
    });

    it('concatenates without JoinPath cleaning (unlike the built-in type)', () => {
      const claims = { ...V1, job_workflow_ref: 'a/../b/./c' };
      assert.equal(ciProviderPrincipal(GH, claims).san.value, 'https://github.com/a/../b/./c');
      assert.equal(githubWorkflowPrincipal(GH, claims).san.value, 'https://github.com/b/c');
    });

    it('forces Issuer and Subject to iss and sub, whatever the templates say', () => {
      const cfg = parseIdentityConfig(
        JSON.stringify({
          OIDCIssuers: { 'https://ci.example.com': { ClientID: 'c', Type: 'ci-provider', CIProvider: 'p' } },
          CIIssuerMetadata: { p: { ExtensionTemplates: { Issuer: 'other', Subject: 'other', BuildTrigger: 'other' }, SubjectAlternativeNameTemplate: 'https://x/{{ .other }}' } },
        }),
      );
      const p = ciProviderPrincipal(cfg.oidcIssuers.get('https://ci.example.com')!, { iss: 'https://ci.example.com', sub: 'me', other: 'o' });
      assert.deepEqual(p, { name: 'me', san: { kind: 'uri', value: 'https://x/o' }, extensions: { issuer: 'https://ci.example.com', subject: 'me', buildTrigger: 'o' } });
    });

    it('reports a missing claim, templated or bare, as MISSING_CLAIM naming it', () => {
      const { run_id: _r, job_workflow_sha: _j, job_workflow_ref: _w, ...rest } = V1;
      fails(() => ciProviderPrincipal(GH, { ...rest, job_workflow_ref: 'x', job_workflow_sha: 'y' }), 'MISSING_CLAIM', 'run_id', /run-invocation-uri: token is missing claim "run_id".*map has no entry for key "run_id"/);
      fails(() => ciProviderPrincipal(GH, { ...rest, job_workflow_ref: 'x', run_id: '1' }), 'MISSING_CLAIM', 'job_workflow_sha', /build-signer-digest: .*value <job_workflow_sha> not present in either claims or defaults/);
      fails(() => ciProviderPrincipal(GH, { ...rest, run_id: '1', job_workflow_sha: 'y' }), 'MISSING_CLAIM', 'job_workflow_ref', /subject-alternative-name-template/);
    });

    it('reports a SAN that url.Parse rejects, or that is not ASCII, as INVALID_CLAIM', () => {
      fails(() => ciProviderPrincipal(GH, { ...V1, job_workflow_ref: 'a%zz' }), 'INVALID_CLAIM', undefined, /subject alternative name "https:\/\/github.com\/a%zz" is not a valid URL/);
      const bare = parseIdentityConfig(JSON.stringify({ OIDCIssuers: { 'https://ci.example.com': { ClientID: 'c', Type: 'ci-provider', CIProvider: 'p' } }, CIIssuerMetadata: { p: { SubjectAlternativeNameTemplate: 'where' } } }));
      const iss = bare.oidcIssuers.get('https://ci.example.com')!;
      fails(() => ciProviderPrincipal(iss, { iss: 'https://ci.example.com', sub: 's', where: ':nope' }), 'INVALID_CLAIM', 'where', /missing protocol scheme/);
      assert.equal(ciProviderPrincipal(iss, { iss: 'https://ci.example.com', sub: 's', where: 'https://x/é' }).san.value, 'https://x/%C3%A9');
    });

    it('refuses tokens when the metadata or its SAN template is missing (400 BAD_REQUEST)', () => {
      fails(() => ciProviderPrincipal({ issuerUrl: 'https://x', clientId: 'c', type: 'ci-provider', ciProvider: 'gone' }, V1), 'BAD_REQUEST', undefined, /metadata not found for ci provider gone/);
      const blank = { ...GH, ci: { ...GH.ci!, san: undefined } } as IssuerConfig;
      fails(() => ciProviderPrincipal(blank, V1), 'BAD_REQUEST', undefined, /SubjectAlternativeNameTemplate should not be empty/);
    });
  });
});
