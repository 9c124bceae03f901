import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseIdentityConfig } from '../../oidc/identity-compile.js';
import { createMissingDevKeys } from '../../ca/dev-keys.js';
import { memoryLogger } from '../../lib/log.js';
import { serve, type RunningFulgor } from '../../server/serve.js';
import { clientKey, startFulgor, v2Request } from '../helpers/fulgor.js';
import { startIssuer, type TestIssuer } from '../helpers/oidc-issuer.js';
import type { ErrorBody, ExplainBody } from '../helpers/response-body.js';

const ARC = '1.3.6.1.4.1.57264.1';

/** The real server with --enable-explain (startFulgor does not expose it). */
async function startWithExplain(identityJson: unknown) {
  const keysDir = mkdtempSync(join(tmpdir(), 'fulgor-explain-'));
  await createMissingDevKeys(keysDir);
  const logger = memoryLogger();
  const running: RunningFulgor = await serve({
    host: '127.0.0.1', port: 0, ctPort: 0, keysDir, dev: false, allowDevKeys: true, ctStorage: 'memory', enableExplain: true, logger,
    identity: parseIdentityConfig(JSON.stringify(identityJson)),
  });
  return {
    ...running,
    logLines: logger.lines,
    async post(path: string, body: unknown) {
      const res = await fetch(running.caUrl + path, { method: 'POST', body: typeof body === 'string' ? body : JSON.stringify(body) });
      const text = await res.text();
      return { status: res.status, text, json: JSON.parse(text) as ExplainBody & ErrorBody };
    },
    async close() {
      await running.close();
      rmSync(keysDir, { recursive: true, force: true });
    },
  };
}

describe('integration: POST /api/v2/explain behind --enable-explain', function () {
  let github: TestIssuer;
  let fulgor: Awaited<ReturnType<typeof startWithExplain>>;
  let identityJson: unknown;

  before(async () => {
    github = await startIssuer('/gh');
    identityJson = {
      OIDCIssuers: {
        [github.url]: {
          IssuerURL: github.url, ClientID: 'sigstore', Type: 'github-workflow',
          Policy: [
            { Name: 'acme-only', Allow: { repository_owner: ['acme'] } },
            { Name: 'no-sandbox', Deny: { repository: ['acme/sandbox'] } },
          ],
        },
      },
    };
    fulgor = await startWithExplain(identityJson);
  });
  after(async () => {
    await fulgor.close();
    await github.close();
  });

  it('explains a verified token field by field, without issuing', async () => {
    const token = await github.mint('github');
    const sth = async () => ((await (await fetch(`${fulgor.ctUrl}/ct/v1/get-sth`)).json()) as { tree_size: number }).tree_size;
    const before = await sth();
    const res = await fulgor.post('/api/v2/explain', { token });
    assert.equal(res.status, 200, res.text);
    const x = res.json;
    assert.equal(x.allowed, true);
    assert.equal(x.input, 'token');
    assert.equal(x.tokenVerified, true);
    assert.deepEqual(x.issuer, { url: github.url, matchedBy: 'OIDCIssuers', type: 'github-workflow', clientId: 'sigstore' });
    assert.deepEqual(x.mapping, { type: 'github-workflow', ok: true });
    assert.deepEqual(x.policy.rules.map((v) => [v.rule, v.effect, v.allowed, v.reason]), [
      ['acme-only', 'allow', true, 'repository_owner "acme" matches "acme"'],
      ['no-sandbox', 'deny', true, 'not denied: repository "acme/app" matches none of "acme/sandbox"'],
    ]);
    assert.equal(x.certificate.challenge, 'repo:acme/app:ref:refs/heads/main');
    assert.deepEqual(x.certificate.san, { type: 'uri', value: 'https://github.com/acme/app/.github/workflows/release.yml@refs/heads/main' });
    const ext = new Map(x.certificate.extensions.map((e) => [e.oid, e]));
    assert.deepEqual(ext.get(`${ARC}.1`), { oid: `${ARC}.1`, name: 'Issuer (deprecated)', value: github.url, encoding: 'raw' });
    assert.deepEqual(ext.get(`${ARC}.8`), { oid: `${ARC}.8`, name: 'Issuer (V2)', value: github.url, encoding: 'utf8String' });
    assert.equal(ext.get(`${ARC}.9`)?.value, 'https://github.com/acme/app/.github/workflows/release.yml@refs/heads/main');
    assert.equal(ext.get(`${ARC}.11`)?.value, 'github-hosted');
    assert.equal(ext.get(`${ARC}.24`)?.value, 'repo:acme/app:ref:refs/heads/main');
    assert.deepEqual(x.errors, []);
    assert.equal(await sth(), before, 'nothing was logged to CT');
    assert.ok(!fulgor.logLines.join('\n').includes(token), 'the token is never logged');
  });

  it('explains a refusal and a failed verification', async () => {
    const denied = await fulgor.post('/api/v2/explain', { token: await github.mint('github', { claims: { repository: 'acme/sandbox' } }) });
    assert.equal(denied.status, 200, denied.text);
    assert.equal(denied.json.allowed, false);
    assert.equal(denied.json.policy.refusedBy, 'no-sandbox');
    assert.deepEqual(denied.json.errors.map((e) => [e.stage, e.reason, e.metadata]), [['policy', 'POLICY_DENIED', { rule: 'no-sandbox' }]]);
    const expired = await fulgor.post('/api/v2/explain', { token: await github.mint('github', { now: new Date(Date.now() - 3600_000) }) });
    assert.equal(expired.json.tokenVerified, false);
    assert.deepEqual(expired.json.errors.map((e) => [e.stage, e.reason]), [['token', 'TOKEN_EXPIRED']]);
    const wrongAud = await fulgor.post('/api/v2/explain', { token: await github.mint('github', { audience: 'other' }) });
    assert.deepEqual(wrongAud.json.errors.map((e) => [e.stage, e.reason]), [['token', 'AUDIENCE_MISMATCH']]);
  });

  it('maps claims only, routed by "issuer" or by their iss', async () => {
    const claims = { sub: 'repo:acme/app:ref:refs/heads/main', job_workflow_ref: 'acme/app/.github/workflows/ci.yml@refs/heads/main', repository: 'acme/app', repository_owner: 'acme', event_name: 'push', sha: 'abc', workflow: 'ci', ref: 'refs/heads/main', job_workflow_sha: 'abc', runner_environment: 'github-hosted', repository_id: '1', repository_owner_id: '2', workflow_ref: 'acme/app/.github/workflows/ci.yml@refs/heads/main', workflow_sha: 'abc', run_id: '3', run_attempt: '1', repository_visibility: 'public' };
    const res = await fulgor.post('/api/v2/explain', { claims, issuer: github.url });
    assert.equal(res.status, 200, res.text);
    assert.equal(res.json.input, 'claims');
    assert.equal(res.json.tokenVerified, false);
    assert.equal(res.json.allowed, true);
    assert.equal(res.json.certificate.san.value, 'https://github.com/acme/app/.github/workflows/ci.yml@refs/heads/main');
    const unknown = await fulgor.post('/api/v2/explain', { claims: { ...claims, iss: 'https://elsewhere.example.com' } });
    assert.equal(unknown.json.issuer, null);
    assert.deepEqual(unknown.json.configuredIssuers, { oidcIssuers: [github.url], metaIssuers: [] });
    assert.equal(unknown.json.errors[0]?.reason, 'UNKNOWN_ISSUER');
  });

  it('refuses malformed requests with a 400 in Fulcio’s shape', async () => {
    const malformed = await fulgor.post('/api/v2/explain', '{"token":');
    assert.equal(malformed.status, 400);
    assert.equal(malformed.json.details[0].reason, 'MALFORMED_JSON');
    for (const body of [{}, { token: 'x', claims: {} }, { token: 5 }, { claims: [] }, { claims: {}, issuer: 3 }, { token: 'a.b.c', issuer: 'x' }, { claims: {}, extra: 1 }, '"x"']) {
      const res = await fulgor.post('/api/v2/explain', body);
      assert.equal(res.status, 400, `${JSON.stringify(body)}: ${res.text}`);
      assert.equal(res.json.code, 3);
      assert.equal(res.json.details[0].reason, 'BAD_REQUEST');
    }
  });

  it('leaves signing working on the same /api/v2 prefix', async () => {
    const res = await fulgor.post('/api/v2/signingCert', v2Request(await github.mint('github'), clientKey(), 'repo:acme/app:ref:refs/heads/main'));
    assert.equal(res.status, 200, res.text);
  });

  it('is off by default: 404', async () => {
    const plain = await startFulgor(identityJson);
    try {
      const res = await plain.post('/api/v2/explain', { token: await github.mint('github') });
      assert.equal(res.status, 404);
    } finally {
      await plain.close();
    }
  });
});
