// Rate limits through the real server (real CA, CT log, local OIDC issuers): per identity, per repository, per
// client address (socket address; X-Forwarded-For only with --trust-proxy), server-wide defaults and per-issuer
// overrides, refill over time (an injected clock, no sleeping), and explain showing the configured rates.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createMissingDevKeys } from '../../ca/dev-keys.js';
import { parseRate, type Rate } from '../../config/rate-limit.js';
import type { RateScope } from '../../config/rate-limit.js';
import { clientKey, startFulgor, v2Request, type TestFulgor } from '../helpers/fulgor.js';
import { startIssuer, type TestIssuer } from '../helpers/oidc-issuer.js';

const MAIN = 'repo:acme/app:ref:refs/heads/main';
const rate = (text: string): Rate => parseRate(text) as Rate;

describe('integration: rate limits', function () {
  this.timeout(60_000);
  let github: TestIssuer, email: TestIssuer, keysDir: string;
  const running: TestFulgor[] = [];
  const start = async (...args: Parameters<typeof startFulgor>) => {
    const f = await startFulgor(args[0], { keysDir, ...args[1] });
    running.push(f);
    return f;
  };
  const issuer = (url: string, type: string, extra: Record<string, unknown> = {}) => ({ IssuerURL: url, ClientID: 'sigstore', Type: type, ...extra });

  before(async () => {
    [github, email] = await Promise.all([startIssuer('/gh'), startIssuer('/mail')]);
    keysDir = mkdtempSync(join(tmpdir(), 'fulgor-ratelimit-'));
    await createMissingDevKeys(keysDir);
  });
  afterEach(async () => {
    await Promise.all(running.splice(0).map((f) => f.close()));
  });
  after(async () => {
    await Promise.all([github.close(), email.close()]);
    rmSync(keysDir, { recursive: true, force: true });
  });

  const emailRequest = async (who: string) =>
    v2Request(await email.mint('email', { claims: { sub: who, email: who } }), clientKey(), who);
  const githubRequest = async (claims: Record<string, unknown> = {}) => {
    const sub = (claims['sub'] as string | undefined) ?? MAIN;
    return v2Request(await github.mint('github', { claims }), clientKey(), sub);
  };

  function assertLimited(res: Awaited<ReturnType<TestFulgor['post']>>, scope: RateScope, limit: string) {
    assert.equal(res.status, 429, res.text);
    const retryAfter = res.headers.get('retry-after');
    assert.match(retryAfter ?? '', /^[1-9][0-9]*$/, 'Retry-After: whole seconds, at least 1');
    assert.equal(res.json.code, 8, 'gRPC RESOURCE_EXHAUSTED');
    assert.equal(res.json.details[0].reason, 'RATE_LIMITED');
    assert.deepEqual(res.json.details[0].metadata, { scope, limit, retryAfterSeconds: retryAfter });
    assert.doesNotMatch(res.text, /eyJ/, 'never the token');
    return Number(retryAfter);
  }

  it('per identity: a burst over the limit gets 429 with Retry-After and Fulcio’s body; another identity is unaffected', async () => {
    const ca = await start({ OIDCIssuers: { [email.url]: issuer(email.url, 'email', { RateLimit: { PerIdentity: '3/minute' } }) } });
    for (let i = 0; i < 3; i++) assert.equal((await ca.post('/api/v2/signingCert', await emailRequest('alice@example.com'))).status, 200);
    const over = await ca.post('/api/v2/signingCert', await emailRequest('alice@example.com'));
    // 3 per minute: the next token comes 20 s after the burst.
    const retry = assertLimited(over, 'identity', '3/minute');
    assert.ok(retry >= 19 && retry <= 20, `Retry-After ${retry}`);
    assert.match(over.json.message, /too many certificate requests for this identity \(limit 3\/minute\); retry in \d+ s/);
    assert.equal((await ca.post('/api/v2/signingCert', await emailRequest('bob@example.com'))).status, 200, 'bob has his own bucket');
    assert.ok(ca.logLines.some((l) => l.includes('issuance rate-limited') && l.includes('alice@example.com') && l.includes('"scope":"identity"')));
    assert.ok(!ca.logLines.some((l) => l.includes('eyJ')), 'no token in the logs');
  });

  it('the v1 route is limited too, with the same answer', async () => {
    const ca = await start({ OIDCIssuers: { [email.url]: issuer(email.url, 'email', { RateLimit: { PerIdentity: '1/hour' } }) } });
    const v1 = async () => {
      const token = await email.mint('email');
      const key = clientKey();
      return ca.post('/api/v1/signingCert', { publicKey: { content: Buffer.from(key.pem).toString('base64') }, signedEmailAddress: key.prove('dev@example.com') }, { authorization: `Bearer ${token}` });
    };
    assert.equal((await v1()).status, 201);
    assertLimited(await v1(), 'identity', '1/hour');
  });

  it('per repository: two workflows of one GitHub repository share its budget; another repository does not', async () => {
    const ca = await start({ OIDCIssuers: { [github.url]: issuer(github.url, 'github-workflow', { RateLimit: { PerIdentity: '10/minute', PerRepository: '2/minute' } }) } });
    const release = { sub: MAIN };
    const deploy = { sub: 'repo:acme/app:environment:prod', environment: 'prod', job_workflow_ref: 'acme/app/.github/workflows/deploy.yml@refs/heads/main', workflow: 'deploy' };
    assert.equal((await ca.post('/api/v2/signingCert', await githubRequest(release))).status, 200);
    assert.equal((await ca.post('/api/v2/signingCert', await githubRequest(deploy))).status, 200);
    // Each identity has used 1 of its 10; the repository has used 2 of 2.
    assertLimited(await ca.post('/api/v2/signingCert', await githubRequest(deploy)), 'repository', '2/minute');
    assertLimited(await ca.post('/api/v2/signingCert', await githubRequest(release)), 'repository', '2/minute');
    const other = { sub: 'repo:acme/lib:ref:refs/heads/main', repository: 'acme/lib', repository_id: '5', job_workflow_ref: 'acme/lib/.github/workflows/release.yml@refs/heads/main' };
    assert.equal((await ca.post('/api/v2/signingCert', await githubRequest(other))).status, 200, 'acme/lib has its own budget');
  });

  it('per repository defaults to the per-identity rate', async () => {
    const ca = await start({ OIDCIssuers: { [github.url]: issuer(github.url, 'github-workflow', { RateLimit: { PerIdentity: '1/minute' } }) } });
    assert.equal((await ca.post('/api/v2/signingCert', await githubRequest({ sub: MAIN }))).status, 200);
    const other = await githubRequest({ sub: 'repo:acme/app:ref:refs/heads/dev', ref: 'refs/heads/dev' });
    assertLimited(await ca.post('/api/v2/signingCert', other), 'repository', '1/minute');
  });

  it('per client address: the socket address counts, across identities; X-Forwarded-For is ignored without --trust-proxy', async () => {
    const ca = await start({ OIDCIssuers: { [email.url]: issuer(email.url, 'email', { RateLimit: { PerAddress: '2/minute' } }) } });
    const spoof = (n: number) => ({ 'x-forwarded-for': `203.0.113.${n}` });
    assert.equal((await ca.post('/api/v2/signingCert', await emailRequest('a@example.com'), spoof(1))).status, 200);
    assert.equal((await ca.post('/api/v2/signingCert', await emailRequest('b@example.com'), spoof(2))).status, 200);
    assertLimited(await ca.post('/api/v2/signingCert', await emailRequest('c@example.com'), spoof(3)), 'address', '2/minute');
  });

  it('with --trust-proxy 1, the address X-Forwarded-For names (one hop back) is the one counted', async () => {
    const ca = await start({ OIDCIssuers: { [email.url]: issuer(email.url, 'email', { RateLimit: { PerAddress: '1/minute' } }) } }, { trustProxy: 1 });
    const from = (addr: string) => ({ 'x-forwarded-for': addr });
    assert.equal((await ca.post('/api/v2/signingCert', await emailRequest('a@example.com'), from('203.0.113.1'))).status, 200);
    assert.equal((await ca.post('/api/v2/signingCert', await emailRequest('b@example.com'), from('203.0.113.2'))).status, 200);
    assertLimited(await ca.post('/api/v2/signingCert', await emailRequest('c@example.com'), from('203.0.113.1')), 'address', '1/minute');
    // A client cannot prepend its own entries: only the last hop (the proxy's view) counts.
    assertLimited(await ca.post('/api/v2/signingCert', await emailRequest('d@example.com'), from('198.51.100.9, 203.0.113.2')), 'address', '1/minute');
  });

  it('server-wide defaults apply to issuers without rate-limit; an issuer’s own value, or off, overrides them', async () => {
    const config = {
      OIDCIssuers: {
        [email.url]: issuer(email.url, 'email', { RateLimit: { PerIdentity: 'off' } }),
        [github.url]: issuer(github.url, 'github-workflow'),
      },
    };
    const ca = await start(config, { rateLimit: { defaults: { identity: rate('1/minute') } } });
    assert.equal((await ca.post('/api/v2/signingCert', await githubRequest())).status, 200);
    assertLimited(await ca.post('/api/v2/signingCert', await githubRequest()), 'identity', '1/minute');
    for (let i = 0; i < 3; i++) assert.equal((await ca.post('/api/v2/signingCert', await emailRequest('a@example.com'))).status, 200, 'off for this issuer');
  });

  it('without any limit configured nothing is limited', async () => {
    const ca = await start({ OIDCIssuers: { [email.url]: issuer(email.url, 'email') } });
    for (let i = 0; i < 5; i++) assert.equal((await ca.post('/api/v2/signingCert', await emailRequest('a@example.com'))).status, 200);
  });

  it('a refused request takes nothing from the other buckets, and a bucket refills with time (injected clock)', async () => {
    let offset = 0;
    const clock = () => new Date(Date.now() + offset);
    const ca = await start(
      { OIDCIssuers: { [email.url]: issuer(email.url, 'email', { RateLimit: { PerIdentity: '2/minute', PerAddress: '3/minute' } }) } },
      { clock },
    );
    const post = async (who: string) => ca.post('/api/v2/signingCert', await emailRequest(who));
    assert.equal((await post('a@example.com')).status, 200);
    assert.equal((await post('a@example.com')).status, 200);
    assertLimited(await post('a@example.com'), 'identity', '2/minute');
    assertLimited(await post('a@example.com'), 'identity', '2/minute');
    // The address bucket gave 2 of 3: the refused requests took none of it.
    assert.equal((await post('b@example.com')).status, 200);
    assertLimited(await post('c@example.com'), 'address', '3/minute');
    offset += 20_000; // one address token (3/minute) and 2/3 of an identity token
    assert.equal(assertLimited(await post('a@example.com'), 'identity', '2/minute'), 10, 'a third of a token is 10 s away');
    offset += 10_000;
    assert.equal((await post('a@example.com')).status, 200, 'refilled');
    offset += 60_000;
    assert.equal((await post('c@example.com')).status, 200);
  });

  it('explain (the route) shows the rates that apply to the token’s identity, with their source', async () => {
    const config = { OIDCIssuers: { [github.url]: issuer(github.url, 'github-workflow', { RateLimit: { PerIdentity: '30/minute', PerAddress: 'off' } }) } };
    const ca = await start(config, { rateLimit: { defaults: { address: rate('600/minute'), repository: rate('100/hour') } }, enableExplain: true });
    const res = await ca.post('/api/v2/explain', { token: await github.mint('github') });
    assert.equal(res.status, 200, res.text);
    const x = JSON.parse(res.text) as { rateLimits: unknown };
    assert.deepEqual(x.rateLimits, [
      { scope: 'identity', rate: '30/minute', source: 'issuer', key: MAIN },
      // Set by the server only: its default; set nowhere, it would be the per-identity rate.
      { scope: 'repository', rate: '100/hour', source: 'server default', key: 'https://github.com/acme/app' },
      { scope: 'address', rate: 'off', source: 'issuer', key: 'client address' },
    ]);
  });

  it('a rate-limited request gets one audit line (event rate_limited) and counts in fulgor_rate_limited_total', async () => {
    const auditLog = join(keysDir, `audit-${process.pid}.jsonl`);
    const ca = await start({ OIDCIssuers: { [email.url]: issuer(email.url, 'email', { RateLimit: { PerIdentity: '1/hour' } }) } }, { auditLog });
    assert.equal((await ca.post('/api/v2/signingCert', await emailRequest('carol@example.com'))).status, 200);
    const over = await ca.post('/api/v2/signingCert', await emailRequest('carol@example.com'));
    assertLimited(over, 'identity', '1/hour');
    const requestId = over.headers.get('x-request-id');
    // A refusal's line is not waited for by the response: wait for it to reach the file.
    type Line = Record<string, unknown>;
    let line: Line | undefined;
    for (let i = 0; i < 100 && line === undefined; i++) {
      const lines = readFileSync(auditLog, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as Line);
      line = lines.find((l) => l['request_id'] === requestId);
      if (line === undefined) await new Promise((r) => setTimeout(r, 50));
    }
    assert.ok(line, 'the refused request has its audit line');
    assert.deepEqual([line['event'], line['reason'], line['outcome'], line['san'], line['issuer']], ['rate_limited', 'RATE_LIMITED', 'failure', 'carol@example.com', email.url]);
    assert.equal(line['serial'], null, 'nothing was signed');
    assert.doesNotMatch(readFileSync(auditLog, 'utf8'), /eyJ/, 'never the token');
    const metrics = await (await fetch(`${ca.caUrl}/metrics`)).text();
    assert.match(metrics, /^fulgor_rate_limited_total\{scope="identity"\} 1$/m);
    assert.match(metrics, /^fulgor_refusals_total\{reason="RATE_LIMITED"\} 1$/m);
    rmSync(auditLog, { force: true });
  });
});
