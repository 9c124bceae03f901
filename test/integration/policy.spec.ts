import assert from 'node:assert/strict';
import { clientKey, startFulgor, v2Request, type TestFulgor } from '../helpers/fulgor.js';
import { startIssuer, type TestIssuer } from '../helpers/oidc-issuer.js';

const GITHUB_SUB = 'repo:acme/app:ref:refs/heads/main';
const GITLAB_SUB = 'project_path:acme/app:ref_type:branch:ref:main';

describe('integration: issuance policy through the real server', function () {
  let github: TestIssuer, gitlab: TestIssuer;
  let fulgor: TestFulgor;

  before(async () => {
    [github, gitlab] = await Promise.all([startIssuer('/gh'), startIssuer('/gl')]);
    fulgor = await startFulgor({
      OIDCIssuers: {
        [github.url]: {
          IssuerURL: github.url, ClientID: 'sigstore', Type: 'github-workflow',
          Policy: [
            { Name: 'acme-only', Allow: { repository_owner: ['acme', 'acme-labs'] } },
            { Name: 'release-refs', Allow: { ref: ['refs/heads/main', 'refs/tags/v*'] } },
            { Name: 'no-sandbox', Deny: { repository: ['acme/sandbox', 'acme/tmp-*'] } },
          ],
        },
        [gitlab.url]: {
          IssuerURL: gitlab.url, ClientID: 'sigstore', Type: 'gitlab-pipeline',
          Policy: [{ Name: 'protected-refs', Allow: { ref_protected: ['true'] } }],
        },
      },
    });
  });
  after(async () => {
    await fulgor.close();
    await Promise.all([github.close(), gitlab.close()]);
  });

  const sign = async (issuer: TestIssuer, type: 'github' | 'gitlab', claims: Record<string, unknown>, name: string) => {
    const token = await issuer.mint(type, { claims });
    return { token, res: await fulgor.post('/api/v2/signingCert', v2Request(token, clientKey(), name)) };
  };

  it('issues to an identity every rule allows', async () => {
    const { res } = await sign(github, 'github', {}, GITHUB_SUB);
    assert.equal(res.status, 200, res.text);
    const tag = await sign(github, 'github', { ref: 'refs/tags/v1.4.0', repository_owner: 'acme-labs' }, GITHUB_SUB);
    assert.equal(tag.res.status, 200, tag.res.text);
    const gl = await sign(gitlab, 'gitlab', {}, GITLAB_SUB);
    assert.equal(gl.res.status, 200, gl.res.text);
    const boolean = await sign(gitlab, 'gitlab', { ref_protected: true }, GITLAB_SUB);
    assert.equal(boolean.res.status, 200, `a JSON true compares as "true": ${boolean.res.text}`);
  });

  const expectDenied = async (res: { status: number; json: any; text: string }, rule: string, why: RegExp) => {
    assert.equal(res.status, 403, res.text);
    assert.equal(res.json.code, 7);
    assert.equal(res.json.details[0].reason, 'POLICY_DENIED');
    assert.deepEqual(res.json.details[0].metadata, { rule });
    assert.match(res.json.message, /^The identity is not allowed a certificate by this CA’s issuance policy: rule "/);
    assert.ok(res.json.message.includes(`rule "${rule}" refused: `), res.json.message);
    assert.match(res.json.message, why);
  };

  it('refuses with 403 naming the rule: deny rule, allow rule, missing claim, gitlab protected refs', async () => {
    await expectDenied((await sign(github, 'github', { repository: 'acme/sandbox' }, GITHUB_SUB)).res, 'no-sandbox', /repository "acme\/sandbox" matches "acme\/sandbox"/);
    await expectDenied((await sign(github, 'github', { repository: 'acme/tmp-9' }, GITHUB_SUB)).res, 'no-sandbox', /matches "acme\/tmp-\*"/);
    await expectDenied((await sign(github, 'github', { ref: 'refs/heads/dev' }, GITHUB_SUB)).res, 'release-refs', /ref "refs\/heads\/dev" matches none of/);
    await expectDenied((await sign(github, 'github', { ref: 'refs/tags/v1/x' }, GITHUB_SUB)).res, 'release-refs', /matches none of/);
    await expectDenied((await sign(gitlab, 'gitlab', { ref_protected: undefined }, GITLAB_SUB)).res, 'protected-refs', /claim "ref_protected" is missing/);
    await expectDenied((await sign(gitlab, 'gitlab', { ref_protected: 'false' }, GITLAB_SUB)).res, 'protected-refs', /ref_protected "false" matches none of "true"/);
  });

  it('reports the first refusing rule when several refuse', async () => {
    const { res } = await sign(github, 'github', { repository_owner: 'evil', ref: 'refs/heads/x', repository: 'acme/sandbox' }, GITHUB_SUB);
    await expectDenied(res, 'acme-only', /repository_owner "evil"/);
  });

  it('counts denials per issuer and rule in GET /metrics', async () => {
    await sign(github, 'github', { repository: 'acme/sandbox' }, GITHUB_SUB);
    const text = await (await fetch(`${fulgor.caUrl}/metrics`)).text();
    const count = (issuer: string, rule: string) => {
      const m = new RegExp(`^fulgor_policy_denied_total\\{issuer="${issuer.replace(/[.]/g, '\\.')}",rule="${rule}"\\} (\\d+)$`, 'm').exec(text);
      return m ? Number(m[1]) : 0;
    };
    assert.ok(count(github.url, 'no-sandbox') >= 3, text);
    assert.ok(count(github.url, 'release-refs') >= 2, text);
    assert.ok(count(github.url, 'acme-only') >= 1, text);
    assert.ok(count(gitlab.url, 'protected-refs') >= 2, text);
    assert.match(text, /^fulgor_certificates_issued_total\{issuer="[^"]+\/gh"\} \d+$/m);
  });

  it('logs the refused identity and rule, never the token', async () => {
    const { token } = await sign(github, 'github', { repository: 'acme/tmp-log', job_workflow_ref: 'acme/tmp-log/.github/workflows/x.yml@refs/heads/main' }, GITHUB_SUB);
    const line = fulgor.logLines.map((l) => JSON.parse(l) as Record<string, unknown>).find(
      (l) => l['msg'] === 'issuance refused by policy' && l['san'] === 'https://github.com/acme/tmp-log/.github/workflows/x.yml@refs/heads/main',
    );
    assert.ok(line, fulgor.logLines.join('\n'));
    assert.equal(line['rule'], 'no-sandbox');
    assert.equal(line['issuer'], github.url);
    const all = fulgor.logLines.join('\n');
    assert.ok(!all.includes(token), 'the token is never logged');
    assert.ok(!all.includes(token.split('.')[2] as string), 'not even its signature');
  });
});
