import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { createMissingDevKeys } from '../../ca/dev-keys.js';
import { memoryLogger } from '../../lib/log.js';
import { serve, type RunningFulgor } from '../../server/serve.js';
import { clientKey, v2Request } from '../helpers/fulgor.js';
import { startIssuer, type TestIssuer } from '../helpers/oidc-issuer.js';
import type { ErrorBody, ExplainBody } from '../helpers/response-body.js';
import { BIN, spawnServe, stopProcess as stop, until } from '../helpers/serve-process.js';

const GITHUB_SUB = 'repo:acme/app:ref:refs/heads/main';
const EMAIL = 'dev@example.com';

const issuerYaml = (url: string, type: string, extra = '') =>
  `  ${url}:\n    issuer-url: ${url}\n    client-id: sigstore\n    type: ${type}\n${extra}`;

async function sign(caUrl: string, token: string, name: string) {
  const res = await fetch(`${caUrl}/api/v2/signingCert`, { method: 'POST', body: JSON.stringify(v2Request(token, clientKey(), name)) });
  const json = (await res.json()) as Partial<ErrorBody>;
  return { status: res.status, reason: json.details?.[0]?.reason as string | undefined };
}

async function configuredIssuers(caUrl: string): Promise<string[]> {
  const res = await fetch(`${caUrl}/api/v2/configuration`);
  return ((await res.json()) as { issuers: { issuerUrl: string }[] }).issuers.map((i) => i.issuerUrl).sort();
}

describe('integration: identity config hot reload', function () {
  this.timeout(30_000);
  let dir: string;
  let github: TestIssuer;
  let email: TestIssuer;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'fulgor-reload-'));
    github = await startIssuer('/gh');
    email = await startIssuer('/mail');
  });
  after(async () => {
    await github.close();
    await email.close();
    rmSync(dir, { recursive: true, force: true });
  });

  describe('reload() on the running server', () => {
    let fulgor: RunningFulgor;
    let logs: string[];
    let configPath: string;
    before(async () => {
      configPath = join(dir, 'config.yaml');
      writeFileSync(configPath, `oidc-issuers:\n${issuerYaml(github.url, 'github-workflow')}`);
      const keysDir = join(dir, 'keys');
      await createMissingDevKeys(keysDir);
      const logger = memoryLogger();
      logs = logger.lines;
      fulgor = await serve({ host: '127.0.0.1', port: 0, ctPort: 0, keysDir, dev: false, allowDevKeys: true, ctStorage: 'memory', configPath, enableExplain: true, logger });
    });
    after(() => fulgor.close());

    it('swaps in a good file: a new issuer works, and /api/v2/configuration and explain know it', async () => {
      assert.deepEqual(await configuredIssuers(fulgor.caUrl), [github.url]);
      assert.deepEqual(await sign(fulgor.caUrl, await email.mint('email'), EMAIL), { status: 400, reason: 'UNKNOWN_ISSUER' });

      // An unknown key is accepted, as Fulcio does, and logged as a warning.
      writeFileSync(configPath, `oidc-issuers:\n${issuerYaml(github.url, 'github-workflow')}${issuerYaml(email.url, 'email', '    audience: x\n')}`);
      const result = await fulgor.reload();
      assert.equal(result.issuers, 2);
      assert.ok(logs.some((l) => /"msg":"identity config warning".*audience: unknown key \(ignored\)/.test(l)), logs.join('\n'));

      assert.equal((await sign(fulgor.caUrl, await email.mint('email'), EMAIL)).status, 200);
      assert.equal((await sign(fulgor.caUrl, await github.mint('github'), GITHUB_SUB)).status, 200);
      assert.deepEqual(await configuredIssuers(fulgor.caUrl), [email.url, github.url].sort());
      const explain = await fetch(`${fulgor.caUrl}/api/v2/explain`, { method: 'POST', body: JSON.stringify({ claims: { email: EMAIL, email_verified: true, sub: EMAIL }, issuer: email.url }) });
      assert.equal(((await explain.json()) as ExplainBody).allowed, true);
      const line = logs.map((l) => JSON.parse(l)).find((l) => l.msg === 'identity config reloaded');
      assert.deepEqual([line?.path, line?.issuers, line?.metaIssuers], [configPath, 2, 0]);
    });

    it('rejects a bad file with every problem logged, and keeps the config in force', async () => {
      writeFileSync(configPath, `oidc-issuers:\n${issuerYaml('not-a-url', 'email')}${issuerYaml(email.url, 'no-such-type')}`);
      await assert.rejects(fulgor.reload(), (e: Error) => {
        assert.match(e.message, /reload rejected \(the current config stays\)/);
        assert.match(e.message, /oidc-issuers\["not-a-url"\]\.issuer-url: "not-a-url" is not a valid URL/);
        assert.match(e.message, /type: unknown issuer type "no-such-type"/);
        return true;
      });
      const rejected = logs.map((l) => JSON.parse(l)).find((l) => l.msg.startsWith('identity config reload rejected'));
      assert.equal(rejected?.level, 'error');
      assert.equal(rejected?.problems.length, 2);

      // Unparseable text and an unreadable JWKSPath are rejected the same way.
      writeFileSync(configPath, 'oidc-issuers: [unclosed\n');
      await assert.rejects(fulgor.reload(), /neither valid JSON nor valid YAML/);
      writeFileSync(configPath, `oidc-issuers:\n${issuerYaml(email.url, 'email', '    jwks-path: no-such-file.json\n')}`);
      await assert.rejects(fulgor.reload(), /JWKSPath .*no-such-file\.json/);

      assert.equal((await sign(fulgor.caUrl, await email.mint('email'), EMAIL)).status, 200);
      assert.equal((await sign(fulgor.caUrl, await github.mint('github'), GITHUB_SUB)).status, 200);
      assert.deepEqual(await configuredIssuers(fulgor.caUrl), [email.url, github.url].sort());
    });

    it('applies new policies and drops removed issuers', async () => {
      const policy = '    policy:\n      - name: other-owner-only\n        allow:\n          repository_owner: [other]\n';
      writeFileSync(configPath, `oidc-issuers:\n${issuerYaml(github.url, 'github-workflow', policy)}`);
      assert.equal((await fulgor.reload()).issuers, 1);
      assert.deepEqual(await sign(fulgor.caUrl, await github.mint('github'), GITHUB_SUB), { status: 403, reason: 'POLICY_DENIED' });
      assert.deepEqual(await sign(fulgor.caUrl, await email.mint('email'), EMAIL), { status: 400, reason: 'UNKNOWN_ISSUER' });
    });
  });

  describe('fulgor serve --config-path: SIGHUP and --watch', () => {
    let keysDir: string;
    before(async () => {
      keysDir = join(dir, 'cli-keys');
      await promisify(execFile)(process.execPath, [BIN, 'keys', 'init', '--keys-dir', keysDir]);
    });

    const startServe = (configPath: string, extra: string[] = []) =>
      // One process (--workers 1): one "reloaded" line per reload (test/cli/workers.spec.ts: every worker's).
      spawnServe(['--keys-dir', keysDir, '--allow-dev-keys', '--config-path', configPath, '--workers', '1', ...extra]);
    const count = (text: string, msg: string) => text.split('\n').filter((l) => l.includes(`"msg":"${msg}`)).length;

    it('reloads on SIGHUP, and keeps serving the old config after a bad file', async () => {
      const configPath = join(dir, 'sighup.yaml');
      writeFileSync(configPath, `oidc-issuers:\n${issuerYaml(github.url, 'github-workflow')}`);
      const { child, output, ready } = startServe(configPath);
      try {
        const caUrl = await ready;
        assert.equal((await sign(caUrl, await email.mint('email'), EMAIL)).reason, 'UNKNOWN_ISSUER');
        writeFileSync(configPath, `oidc-issuers:\n${issuerYaml(github.url, 'github-workflow')}${issuerYaml(email.url, 'email')}`);
        child.kill('SIGHUP');
        await until('the reload', () => (count(output(), 'identity config reloaded') === 1 ? true : undefined));
        assert.equal((await sign(caUrl, await email.mint('email'), EMAIL)).status, 200);

        writeFileSync(configPath, `oidc-issuers:\n${issuerYaml(email.url, 'email')}    cleint-id: typo\n  https://x.example.com: 5\n`);
        child.kill('SIGHUP');
        await until('the rejection', () => (count(output(), 'identity config reload rejected') === 1 ? true : undefined));
        assert.equal(child.exitCode, null, 'still running');
        assert.match(output(), /"problems":\[".*must be a mapping of issuer settings"\]/);
        assert.equal((await sign(caUrl, await email.mint('email'), EMAIL)).status, 200);
        assert.equal((await sign(caUrl, await github.mint('github'), GITHUB_SUB)).status, 200);
      } finally {
        await stop(child);
      }
    });

    it('with --watch, reloads when the file changes', async () => {
      const configPath = join(dir, 'watched.yaml');
      writeFileSync(configPath, `oidc-issuers:\n${issuerYaml(github.url, 'github-workflow')}`);
      const { child, output, ready } = startServe(configPath, ['--watch']);
      try {
        const caUrl = await ready;
        writeFileSync(configPath, `oidc-issuers:\n${issuerYaml(email.url, 'email')}`);
        await until('the reload', () => (count(output(), 'identity config reloaded') >= 1 ? true : undefined));
        assert.equal((await sign(caUrl, await email.mint('email'), EMAIL)).status, 200);
        assert.equal((await sign(caUrl, await github.mint('github'), GITHUB_SUB)).reason, 'UNKNOWN_ISSUER');
      } finally {
        await stop(child);
      }
    });
  });
});
