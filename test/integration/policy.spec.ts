import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createMissingDevKeys } from '../../ca/dev-keys.js';
import { MAX_POLICY_CLAIM_BYTES } from '../../oidc/policy.js';
import { clientKey, startFulgor, v2Request, type TestFulgor } from '../helpers/fulgor.js';
import { startIssuer, type TestIssuer } from '../helpers/oidc-issuer.js';
import type { CaBody } from '../helpers/response-body.js';
import { spawnServe, stopProcess } from '../helpers/serve-process.js';

const GITHUB_SUB = 'repo:acme/app:ref:refs/heads/main';
const GITLAB_SUB = 'project_path:acme/app:ref_type:branch:ref:main';

describe('integration: issuance policy through the real server', function () {
  let github: TestIssuer, gitlab: TestIssuer, releases: TestIssuer;
  let fulgor: TestFulgor;

  before(async () => {
    [github, gitlab, releases] = await Promise.all([startIssuer('/gh'), startIssuer('/gl'), startIssuer('/rel')]);
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
        [releases.url]: {
          IssuerURL: releases.url, ClientID: 'sigstore', Type: 'github-workflow',
          // Nested quantifiers: a backtracking engine takes time exponential in the length of a near-miss.
          Policy: [{ Name: 'release-versions', Allow: { release: ['/^v([0-9]+\\.?)+$/'] } }],
        },
      },
    });
  });
  after(async () => {
    await fulgor.close();
    await Promise.all([github.close(), gitlab.close(), releases.close()]);
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

  const expectDenied = async (res: { status: number; json: CaBody; text: string }, rule: string, why: RegExp) => {
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

  it('matches a catastrophic-backtracking regex in linear time, in a real serve process that keeps serving', async function () {
    this.timeout(60_000);
    const dir = mkdtempSync(join(tmpdir(), 'fulgor-redos-'));
    const configPath = join(dir, 'config.yaml');
    writeFileSync(configPath, [
      'oidc-issuers:',
      `  ${releases.url}:`,
      `    issuer-url: ${releases.url}`,
      '    client-id: sigstore',
      '    type: github-workflow',
      '    policy:',
      '      - name: release-versions',
      '        allow:',
      "          release: ['/^v([0-9]+\\.?)+$/']",
      '',
    ].join('\n'));
    await createMissingDevKeys(join(dir, 'keys'));
    const serve = spawnServe(['--keys-dir', join(dir, 'keys'), '--allow-dev-keys', '--config-path', configPath]);
    try {
      const caUrl = await serve.ready;
      const post = async (release: string) => {
        const token = await releases.mint('github', { claims: { release } });
        // A stalled process never answers: the abort fails the test instead of hanging it.
        const res = await fetch(`${caUrl}/api/v2/signingCert`, {
          method: 'POST', body: JSON.stringify(v2Request(token, clientKey(), GITHUB_SUB)), signal: AbortSignal.timeout(30_000),
        });
        return { status: res.status, json: (await res.json()) as CaBody };
      };
      // On a backtracking engine this near-miss takes hours (the finding measured 15.6 s at 33 digits, doubling per digit).
      const nearMiss = await post(`v${'1'.repeat(40)}x`);
      assert.equal(nearMiss.status, 403, JSON.stringify(nearMiss.json));
      assert.deepEqual(nearMiss.json.details[0].metadata, { rule: 'release-versions' });
      assert.match(nearMiss.json.message, /release "v1{40}x" matches none of/);
      assert.equal((await post(`v${'1.'.repeat(40)}`)).status, 200, 'a long value the regex matches is allowed');
    } finally {
      await stopProcess(serve.child);
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it(`refuses a compared claim longer than ${MAX_POLICY_CLAIM_BYTES} bytes with 400 INVALID_CLAIM, naming the claim, never its value`, async () => {
    const expectTooLong = (res: { status: number; json: CaBody; text: string }, claim: string, value: string) => {
      assert.equal(res.status, 400, res.text);
      assert.equal(res.json.code, 3);
      assert.equal(res.json.details[0].reason, 'INVALID_CLAIM');
      assert.deepEqual(res.json.details[0].metadata, { claim });
      assert.equal(res.json.message, `There was an error processing the identity token: token claim "${claim}" is longer than ${MAX_POLICY_CLAIM_BYTES} bytes, the most the issuance policy compares`);
      assert.ok(!res.text.includes(value.slice(0, 40)), 'the value is not echoed');
      assert.ok(!fulgor.logLines.join('\n').includes(value.slice(0, 40)), 'nor logged');
    };
    // A value the regex would match (allowed on old code) and one a deny rule would not catch (issued on old code).
    const longRelease = `v${'7'.repeat(MAX_POLICY_CLAIM_BYTES)}`;
    expectTooLong((await sign(releases, 'github', { release: longRelease }, GITHUB_SUB)).res, 'release', longRelease);
    const longRepo = `acme/${'q'.repeat(MAX_POLICY_CLAIM_BYTES)}`;
    expectTooLong((await sign(github, 'github', { repository: longRepo }, GITHUB_SUB)).res, 'repository', longRepo);
    // Exactly at the limit (in UTF-8 bytes, é is two) is still compared.
    const atLimit = `v${'1'.repeat(MAX_POLICY_CLAIM_BYTES - 1)}`;
    assert.equal((await sign(releases, 'github', { release: atLimit }, GITHUB_SUB)).res.status, 200);
    const accented = `acme/${'é'.repeat((MAX_POLICY_CLAIM_BYTES - 4) / 2)}`;
    expectTooLong((await sign(github, 'github', { repository: accented }, GITHUB_SUB)).res, 'repository', accented);
  });
});
