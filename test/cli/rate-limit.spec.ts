// Rate limits through real `fulgor` processes: the serve flags (bad values refused, naming the flag), two `fulgor
// serve` processes sharing one Redis budget (REDIS_URL, throwaway prefix, deleted after), `config check` reporting bad
// `rate-limit` values in both spellings with their location, and `explain` printing the rates that apply.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ChildProcess } from 'node:child_process';
import { createMissingDevKeys } from '../../ca/dev-keys.js';
import { dropRedisLog, probeRedis } from '../../ct/redis-store.js';
import { fulgor } from '../helpers/cli-process.js';
import { clientKey, v2Request } from '../helpers/fulgor.js';
import { startIssuer, type TestIssuer } from '../helpers/oidc-issuer.js';
import { startServe, stopProcess, until } from '../helpers/serve-process.js';

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const SUB = 'repo:acme/app:ref:refs/heads/main';

describe('cli: rate limits', function () {
  this.timeout(60_000);
  let dir: string, keysDir: string, github: TestIssuer, yamlConfig: string;
  const children: ChildProcess[] = [];

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'fulgor-rl-cli-'));
    keysDir = join(dir, 'keys');
    await createMissingDevKeys(keysDir);
    github = await startIssuer('/gh');
    yamlConfig = join(dir, 'identity.yaml');
    writeFileSync(yamlConfig, [
      'oidc-issuers:',
      `  ${github.url}:`,
      `    issuer-url: ${github.url}`,
      '    client-id: sigstore',
      '    type: github-workflow',
      '    rate-limit:',
      '      per-identity: 3/minute',
      '      per-address: off',
      '',
    ].join('\n'));
  });
  afterEach(async () => {
    await Promise.all(children.splice(0).map((c) => stopProcess(c)));
  });
  after(async () => {
    await github.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const serveArgs = (...extra: string[]) => ['--config-path', yamlConfig, '--keys-dir', keysDir, '--allow-dev-keys', ...extra];

  for (const [args, message] of [
    [['--rate-limit-per-identity', '5/fortnight'], /--rate-limit-per-identity: "5\/fortnight" is not a rate: write COUNT\/UNIT/],
    [['--rate-limit-per-address', '0/minute'], /--rate-limit-per-address: "0\/minute" is not a rate/],
    [['--trust-proxy', 'yes'], /--trust-proxy must be the number of reverse proxies/],
    [['--rate-limit-redis', 'http://127.0.0.1:6379'], /--rate-limit-redis must be a redis:\/\/ or rediss:\/\/ URL/],
    [['--rate-limit-redis-prefix', 'x'], /--rate-limit-redis-prefix goes with --rate-limit-redis/],
  ] as const) {
    it(`serve ${args.join(' ')}: refused at start, naming the flag`, async () => {
      const r = await fulgor('serve', '--port', '0', '--ct-port', '0', '--ct-storage', 'memory', ...serveArgs(...args));
      assert.notEqual(r.code, 0);
      assert.match(r.stderr, message);
    });
  }

  it('two `fulgor serve` processes with --rate-limit-redis enforce one budget', async function () {
    const reason = await probeRedis(REDIS_URL, 1_000);
    if (reason !== undefined) {
      console.warn(`      SKIPPED: no Redis reachable at ${REDIS_URL} (${reason}); set REDIS_URL to run this test`);
      this.skip();
    }
    const prefix = `fulgor-rl-cli-${randomBytes(6).toString('hex')}`;
    try {
      const shared = serveArgs('--rate-limit-redis', REDIS_URL, '--rate-limit-redis-prefix', prefix);
      const [a, b] = await Promise.all([startServe(shared), startServe(shared)]);
      children.push(a.child, b.child);
      assert.match(a.output(), /rate limits shared through Redis/);
      const post = async (caUrl: string) => {
        const res = await fetch(`${caUrl}/api/v2/signingCert`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(v2Request(await github.mint('github'), clientKey(), SUB)),
        });
        return { status: res.status, retryAfter: res.headers.get('retry-after'), text: await res.text() };
      };
      const statuses = [];
      for (const url of [a.caUrl, b.caUrl, a.caUrl]) statuses.push((await post(url)).status);
      assert.deepEqual(statuses, [200, 200, 200]);
      const over = await post(b.caUrl);
      assert.equal(over.status, 429, over.text);
      assert.match(over.retryAfter ?? '', /^(19|20)$/);
      assert.match(over.text, /"reason":"RATE_LIMITED"/);
      assert.equal((await post(a.caUrl)).status, 429);
      assert.match(b.output(), /issuance rate-limited/);
    } finally {
      await dropRedisLog(REDIS_URL, prefix);
    }
  });

  it('serve --rate-limit-per-identity sets the default for issuers without rate-limit', async () => {
    const plain = join(dir, 'plain.json');
    writeFileSync(plain, JSON.stringify({ OIDCIssuers: { [github.url]: { IssuerURL: github.url, ClientID: 'sigstore', Type: 'github-workflow' } } }));
    const s = await startServe(['--config-path', plain, '--keys-dir', keysDir, '--allow-dev-keys', '--rate-limit-per-identity', '1/hour']);
    children.push(s.child);
    const post = async () =>
      (await fetch(`${s.caUrl}/api/v2/signingCert`, { method: 'POST', body: JSON.stringify(v2Request(await github.mint('github'), clientKey(), SUB)) })).status;
    assert.equal(await post(), 200);
    assert.equal(await post(), 429);
  });

  it('SIGHUP applies a changed rate-limit; a bad one is rejected and the running limits stay', async () => {
    const path = join(dir, 'reloaded.yaml');
    const write = (perIdentity: string) =>
      writeFileSync(path, ['oidc-issuers:', `  ${github.url}:`, '    client-id: sigstore', '    type: github-workflow', '    rate-limit:', `      per-identity: ${perIdentity}`, ''].join('\n'));
    write('1/hour');
    const s = await startServe(['--config-path', path, '--keys-dir', keysDir, '--allow-dev-keys']);
    children.push(s.child);
    const post = async () =>
      (await fetch(`${s.caUrl}/api/v2/signingCert`, { method: 'POST', body: JSON.stringify(v2Request(await github.mint('github'), clientKey(), SUB)) })).status;
    const reload = async (n: number, line: RegExp) => {
      s.child.kill('SIGHUP');
      await until(`reload ${n}`, () => ((s.output().match(new RegExp(line, 'g')) ?? []).length >= n ? true : undefined));
    };
    assert.equal(await post(), 200);
    assert.equal(await post(), 429);
    write('2/hour/x');
    await reload(1, /identity config reload rejected/);
    assert.ok(s.output().includes('rate-limit.per-identity: \\"2/hour/x\\" is not a rate'), 'the problem, with its location (JSON-escaped in the log line)');
    assert.equal(await post(), 429, 'the running limit stays');
    write('off');
    await reload(1, /identity config reloaded/);
    assert.equal(await post(), 200);
    assert.equal(await post(), 200);
  });

  it('config check reports bad rate-limit values and keys in YAML and JSON, with their location', async () => {
    const badYaml = join(dir, 'bad.yaml');
    writeFileSync(badYaml, [
      'oidc-issuers:',
      '  https://issuer.example.com:',
      '    client-id: sigstore',
      '    type: email',
      '    rate-limit:',
      '      per-identity: 30/fortnight',
      '      per-adress: 10/minute',
      '      per-repository: 5',
      '',
    ].join('\n'));
    const y = await fulgor('config', 'check', '--config-path', badYaml);
    assert.equal(y.code, 1, y.stdout + y.stderr);
    const at = 'oidc-issuers["https://issuer.example.com"].rate-limit';
    assert.match(y.stdout, new RegExp(`${at.replace(/[[\]().]/g, '\\$&')}\\.per-identity: "30/fortnight" is not a rate`));
    assert.match(y.stdout, new RegExp(`${at.replace(/[[\]().]/g, '\\$&')}\\.per-adress: unknown key`));
    assert.match(y.stdout, new RegExp(`${at.replace(/[[\]().]/g, '\\$&')}\\.per-repository: must be a string`));

    const badJson = join(dir, 'bad.json');
    writeFileSync(badJson, JSON.stringify({ OIDCIssuers: { 'https://issuer.example.com': { ClientID: 'sigstore', Type: 'email', RateLimit: { PerIdentity: '0/second', peraddress: '10/minute' } } } }));
    const j = await fulgor('config', 'check', '--config-path', badJson, '--json');
    assert.equal(j.code, 1);
    const report = JSON.parse(j.stdout) as { problems: string[] };
    assert.ok(report.problems.some((p) => p.startsWith('OIDCIssuers["https://issuer.example.com"].RateLimit.PerIdentity: "0/second" is not a rate')), j.stdout);
    assert.ok(!report.problems.some((p) => p.includes('peraddress')), 'JSON keys match case-insensitively, as Go decodes them');

    const ok = await fulgor('config', 'check', '--config-path', yamlConfig);
    assert.equal(ok.code, 0, ok.stdout + ok.stderr);
  });

  it('explain prints the rates that apply, issuer values over the --rate-limit-per-* defaults', async () => {
    const token = await github.mint('github');
    const text = await fulgor('explain', '--config-path', yamlConfig, '--token', token, '--rate-limit-per-repository', '100/hour');
    assert.equal(text.code, 0, text.stderr);
    assert.match(text.stdout, /^Rate limits: \(configured rates, not the current bucket state\)$/m);
    assert.match(text.stdout, /^ {2}per identity +3\/minute +\(issuer\) +repo:acme\/app:ref:refs\/heads\/main$/m);
    assert.match(text.stdout, /^ {2}per repository +100\/hour +\(server default\) +https:\/\/github\.com\/acme\/app$/m);
    assert.match(text.stdout, /^ {2}per address +off +\(issuer\) +each client address$/m);
    const bad = await fulgor('explain', '--config-path', yamlConfig, '--token', token, '--rate-limit-per-identity', 'lots');
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /--rate-limit-per-identity: "lots" is not a rate/);
  });
});
