// The template-driven ci-provider type through the real server and real local OIDC issuers, with the GitHub and
// GitLab mappings taken from Fulcio's shipped config (its ci-issuer-metadata, passed in Fulcio's JSON spelling).
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { EXTENSION_KEYS } from '../../config/ci-metadata.js';
import { parseYamlConfig } from '../../config/yaml-alias-keys.js';
import { clientKey, startFulgor, v2Request, type TestFulgor } from '../helpers/fulgor.js';
import { startIssuer, type TestIssuer } from '../helpers/oidc-issuer.js';
import { fulcioExtensions, x509 } from '../helpers/x509.js';

const SHIPPED = parseYamlConfig(readFileSync('/work/shared/fixtures/fulcio-identity-config.yaml', 'utf8')) as {
  'ci-issuer-metadata': Record<string, Record<string, Record<string, string> | string>>;
};

/** One shipped ci-issuer-metadata entry in Fulcio's JSON spelling (Go field names). */
function jsonMetadata(provider: string) {
  const m = SHIPPED['ci-issuer-metadata'][provider]!;
  const goName = new Map(EXTENSION_KEYS.map(([, json, yaml]) => [yaml, json]));
  const templates = m['extension-templates'] as Record<string, string>;
  return {
    DefaultTemplateValues: m['default-template-values'],
    ExtensionTemplates: Object.fromEntries(Object.entries(templates).map(([k, v]) => [goName.get(k), v])),
    SubjectAlternativeNameTemplate: m['subject-alternative-name-template'],
  };
}

const GITHUB_SUB = 'repo:acme/app:ref:refs/heads/main';
const GITLAB_SUB = 'project_path:acme/app:ref_type:branch:ref:main';

describe('integration: ci-provider issuers through the real server', function () {
  let gh: TestIssuer, ghCi: TestIssuer, gl: TestIssuer, glCi: TestIssuer;
  let fulgor: TestFulgor;

  before(async () => {
    [gh, ghCi, gl, glCi] = await Promise.all([startIssuer('/gh'), startIssuer('/gh-ci'), startIssuer('/gl'), startIssuer('/gl-ci')]);
    const issuer = (url: string, type: string, provider?: string) => ({
      IssuerURL: url,
      ClientID: 'sigstore',
      Type: type,
      ...(provider ? { CIProvider: provider } : {}),
    });
    fulgor = await startFulgor({
      OIDCIssuers: {
        [gh.url]: issuer(gh.url, 'github-workflow'),
        [ghCi.url]: issuer(ghCi.url, 'ci-provider', 'github-workflow'),
        [gl.url]: issuer(gl.url, 'gitlab-pipeline'),
        [glCi.url]: issuer(glCi.url, 'ci-provider', 'gitlab-pipeline'),
      },
      CIIssuerMetadata: { 'github-workflow': jsonMetadata('github-workflow'), 'gitlab-pipeline': jsonMetadata('gitlab-pipeline') },
    });
  });
  after(async () => {
    await fulgor.close();
    await Promise.all([gh, ghCi, gl, glCi].map((i) => i.close()));
  });

  const post = (token: string, name: string) => fulgor.post('/api/v2/signingCert', v2Request(token, clientKey(), name));
  const issue = async (token: string, name: string) => {
    const res = await post(token, name);
    assert.equal(res.status, 200, res.text);
    const leaf = new x509.X509Certificate(res.json.signedCertificateEmbeddedSct.chain.certificates[0]);
    const { 1: iss1, 8: iss8, ...ext } = fulcioExtensions(leaf);
    assert.equal(iss1, iss8);
    return { san: leaf.getExtension(x509.SubjectAlternativeNameExtension)!.names.toJSON(), iss: iss1, ext };
  };

  it('issues a GitHub certificate equal to the built-in github-workflow one for the same claims', async () => {
    const builtIn = await issue(await gh.mint('github'), GITHUB_SUB);
    const ci = await issue(await ghCi.mint('github'), GITHUB_SUB);
    assert.deepEqual(ci.san, [{ type: 'url', value: 'https://github.com/acme/app/.github/workflows/release.yml@refs/heads/main' }]);
    assert.deepEqual(ci.san, builtIn.san);
    assert.deepEqual(ci.ext, builtIn.ext);
    assert.equal(ci.iss, ghCi.url);
    assert.equal(ci.ext[24], GITHUB_SUB);
    assert.equal(ci.ext[23], undefined);
    assert.equal(ci.ext[21], 'https://github.com/acme/app/actions/runs/4242424242/attempts/1');
  });

  it('adds the deployment environment (.23) when the token has one', async () => {
    const builtIn = await issue(await gh.mint('github', { claims: { environment: 'production' } }), GITHUB_SUB);
    const ci = await issue(await ghCi.mint('github', { claims: { environment: 'production' } }), GITHUB_SUB);
    assert.deepEqual(ci.ext, { ...builtIn.ext, 23: 'production' });
  });

  it('issues a GitLab certificate equal to the built-in gitlab-pipeline one', async () => {
    const builtIn = await issue(await gl.mint('gitlab'), GITLAB_SUB);
    const ci = await issue(await glCi.mint('gitlab'), GITLAB_SUB);
    assert.deepEqual(ci.san, [{ type: 'url', value: 'https://gitlab.com/acme/app//.gitlab-ci.yml@refs/heads/main' }]);
    assert.deepEqual(ci, { ...builtIn, iss: glCi.url });
  });

  it('refuses a token missing a templated claim with 400 MISSING_CLAIM naming it', async () => {
    for (const claim of ['run_id', 'job_workflow_sha', 'job_workflow_ref']) {
      const res = await post(await ghCi.mint('github', { claims: { [claim]: undefined } }), GITHUB_SUB);
      assert.equal(res.status, 400, res.text);
      assert.equal(res.json.details[0].reason, 'MISSING_CLAIM', res.text);
      assert.equal(res.json.details[0].metadata.claim, claim, res.text);
      assert.match(res.json.message, new RegExp(`"${claim}"`));
    }
  });
});
