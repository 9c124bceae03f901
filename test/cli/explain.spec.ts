import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { devClaims } from '../../oidc/dev-claims.js';
import { startIssuer, type TestIssuer } from '../helpers/oidc-issuer.js';
import type { ExplainedExtension, ExplainedProblem, ExplainedRule } from '../helpers/response-body.js';

const BIN = join(process.cwd(), 'dist/bin/fulgor.js');
const ARC = '1.3.6.1.4.1.57264.1';

/** Runs `fulgor explain ...`, resolving with the exit code and output whatever the code. */
function explain(args: string[], stdin?: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = execFile(process.execPath, [BIN, 'explain', ...args], (err, stdout, stderr) => {
      const code = err ? ((err as { code?: number }).code ?? 1) : 0;
      resolve({ code: typeof code === 'number' ? code : 1, stdout, stderr });
    });
    if (stdin !== undefined) child.stdin?.end(stdin);
  });
}

describe('cli: fulgor explain', function () {
  this.timeout(30_000);
  let dir: string, cfg: string, claimsFile: string;
  let github: TestIssuer;
  const GH_CLAIMS = devClaims('github');

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'fulgor-explain-cli-'));
    github = await startIssuer('/gh');
    cfg = join(dir, 'config.yaml');
    writeFileSync(cfg, [
      'oidc-issuers:',
      `  ${github.url}:`,
      `    issuer-url: ${github.url}`,
      '    client-id: sigstore',
      '    type: github-workflow',
      '    policy:',
      '      - name: acme-only',
      '        allow:',
      '          repository_owner: [acme]',
      '      - name: release-refs',
      '        allow:',
      '          ref: ["refs/heads/main", "refs/tags/v*"]',
      '      - name: no-sandbox',
      '        deny:',
      '          repository: ["acme/sandbox"]',
      'meta-issuers:',
      '  https://accounts.*.example.com:',
      '    client-id: sigstore',
      '    type: email',
      '',
    ].join('\n'));
    claimsFile = join(dir, 'claims.json');
    writeFileSync(claimsFile, JSON.stringify({ ...GH_CLAIMS, ref: 'refs/heads/dev' }));
  });
  after(async () => {
    await github.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('explains a verified token in text: issuer, token, mapping, every verdict, SAN and extensions; exit 0', async () => {
    const { code, stdout, stderr } = await explain(['--config-path', cfg, '--token', await github.mint('github')]);
    assert.equal(code, 0, stderr + stdout);
    const lines = stdout.split('\n');
    const line = (prefix: string) => lines.find((l) => l.startsWith(prefix)) ?? '';
    assert.equal(line('Issuer:'), `Issuer:      ${github.url} (OIDCIssuers entry; client ID sigstore)`);
    assert.equal(line('Token:'), 'Token:       verified (signature, issuer, audience, expiry)');
    assert.equal(line('Mapping:'), 'Mapping:     github-workflow: matched');
    assert.equal(line('Policy:'), 'Policy:      allowed (3 rules)');
    assert.match(stdout, /^ {2}allow +acme-only +pass +repository_owner "acme" matches "acme"$/m);
    assert.match(stdout, /^ {2}allow +release-refs +pass +ref "refs\/heads\/main" matches "refs\/heads\/main"$/m);
    assert.match(stdout, /^ {2}deny +no-sandbox +pass +not denied: repository "acme\/app" matches none of "acme\/sandbox"$/m);
    assert.equal(line('  Proof of possession'), '  Proof of possession must sign: repo:acme/app:ref:refs/heads/main');
    assert.equal(line('  Subject alternative name'), '  Subject alternative name (uri, critical): https://github.com/acme/app/.github/workflows/release.yml@refs/heads/main');
    const ext = (arc: number) => lines.find((l) => l.trim().startsWith(`${ARC}.${arc} `))?.trim().split(/ {2,}/) ?? [];
    assert.deepEqual(ext(1), [`${ARC}.1`, 'Issuer (deprecated)', github.url]);
    assert.deepEqual(ext(8), [`${ARC}.8`, 'Issuer (V2)', github.url]);
    assert.deepEqual(ext(12), [`${ARC}.12`, 'Source Repository URI', 'https://github.com/acme/app']);
    assert.deepEqual(ext(24), [`${ARC}.24`, 'Token Subject', 'repo:acme/app:ref:refs/heads/main']);
    assert.deepEqual(ext(23), [], 'no deployment environment');
    assert.equal(line('Result:'), 'Result:      a certificate would be issued (given a valid key and proof of possession)');
  });

  it('prints the documented JSON with --json, reading the token from stdin', async () => {
    const token = await github.mint('github', { claims: { repository: 'acme/sandbox' } });
    const { code, stdout } = await explain(['--config-path', cfg, '--token', '-', '--json'], token);
    assert.equal(code, 1);
    assert.ok(!stdout.includes(token));
    const x = JSON.parse(stdout);
    assert.deepEqual(Object.keys(x), ['allowed', 'input', 'tokenVerified', 'issuer', 'configuredIssuers', 'mapping', 'policy', 'certificate', 'rateLimits', 'errors', 'warnings']);
    assert.equal(x.allowed, false);
    assert.equal(x.tokenVerified, true);
    assert.deepEqual(x.issuer, { url: github.url, matchedBy: 'OIDCIssuers', type: 'github-workflow', clientId: 'sigstore' });
    assert.deepEqual(x.mapping, { type: 'github-workflow', ok: true });
    assert.deepEqual(x.policy.rules.map((v: ExplainedRule) => [v.rule, v.allowed]), [['acme-only', true], ['release-refs', true], ['no-sandbox', false]]);
    assert.deepEqual(x.policy.rules[2].checks, [{ claim: 'repository', value: 'acme/sandbox', state: 'present', matched: 'acme/sandbox' }]);
    assert.equal(x.policy.refusedBy, 'no-sandbox');
    assert.deepEqual(x.errors, [{ stage: 'policy', reason: 'POLICY_DENIED', message: 'rule "no-sandbox" refused: denied: repository "acme/sandbox" matches "acme/sandbox"', metadata: { rule: 'no-sandbox' } }]);
    assert.equal(x.certificate.extensions.find((e: ExplainedExtension) => e.oid === `${ARC}.5`).value, 'acme/sandbox');
  });

  it('maps a claims file only (--claims), and shows the refusing rule; exit 1', async () => {
    const { code, stdout } = await explain(['--config-path', cfg, '--claims', claimsFile, '--issuer', github.url]);
    assert.equal(code, 1);
    assert.match(stdout, /^Token: +not checked \(claims mapped only\)$/m);
    assert.match(stdout, /^Policy: +REFUSED by rule "release-refs"$/m);
    assert.match(stdout, /^ {2}allow +release-refs +REFUSE +ref "refs\/heads\/dev" matches none of "refs\/heads\/main", "refs\/tags\/v\*"$/m);
    assert.match(stdout, /^Result: +REFUSED at policy: POLICY_DENIED: rule "release-refs" refused: /m);
    assert.match(stdout, /^Warning: +the claims have no "iss": using/m);
  });

  it('explains a meta issuer match and a mapping failure with its reason code', async () => {
    const file = join(dir, 'email.json');
    writeFileSync(file, JSON.stringify({ iss: 'https://accounts.eu.example.com', sub: 'x', email: 'dev@example.com', email_verified: false }));
    const { code, stdout } = await explain(['--config-path', cfg, '--claims', file, '--json']);
    assert.equal(code, 1);
    const x = JSON.parse(stdout);
    assert.deepEqual(x.issuer, { url: 'https://accounts.eu.example.com', matchedBy: 'MetaIssuers', pattern: 'https://accounts.*.example.com', type: 'email', clientId: 'sigstore' });
    assert.deepEqual(x.mapping, { type: 'email', ok: false, error: { stage: 'mapping', reason: 'EMAIL_NOT_VERIFIED', message: 'email_verified claim was false', metadata: { claim: 'email_verified' } } });
    assert.equal(x.certificate, null);
    assert.deepEqual(x.policy, { configured: false, allowed: true, rules: [] });
    const text = await explain(['--config-path', cfg, '--claims', file]);
    assert.match(text.stdout, /^Issuer: +https:\/\/accounts\.eu\.example\.com \(MetaIssuers pattern https:\/\/accounts\.\*\.example\.com; client ID sigstore\)$/m);
    assert.match(text.stdout, /^Mapping: +email: FAILED: EMAIL_NOT_VERIFIED: email_verified claim was false$/m);
  });

  it('says no issuer matched and lists the configured ones', async () => {
    const token = await github.mint('github', { issuer: 'https://unknown.example.com' });
    const { code, stdout } = await explain(['--config-path', cfg, '--token', token]);
    assert.equal(code, 1);
    assert.match(stdout, /^Issuer: +none matched$/m);
    assert.ok(stdout.includes(`configured OIDCIssuers:\n    ${github.url}\n  configured MetaIssuers:\n    https://accounts.*.example.com\n`), stdout);
    assert.match(stdout, /^Result: +REFUSED at issuer: UNKNOWN_ISSUER: no configured issuer handles "https:\/\/unknown\.example\.com"/m);
  });

  it('checks tokens fully: an expired token is reported, the rest explained from its unverified claims', async () => {
    const token = await github.mint('github', { now: new Date(Date.now() - 7200_000) });
    const { code, stdout } = await explain(['--config-path', cfg, '--token', token, '--json']);
    assert.equal(code, 1);
    const x = JSON.parse(stdout);
    assert.equal(x.tokenVerified, false);
    assert.deepEqual(x.errors.map((e: ExplainedProblem) => [e.stage, e.reason]), [['token', 'TOKEN_EXPIRED']]);
    assert.equal(x.policy.allowed, true);
    assert.match(x.warnings[0], /unverified claims/);
  });

  it('exits 2 on usage and configuration errors', async () => {
    for (const args of [[], ['--config-path', cfg], ['--config-path', cfg, '--token', 'x', '--claims', claimsFile], ['--config-path', cfg, '--token', 'x', '--issuer', 'y'], ['--config-path', join(dir, 'missing.yaml'), '--claims', claimsFile], ['--config-path', cfg, '--claims', cfg]]) {
      const r = await explain(args);
      assert.equal(r.code, 2, `${args.join(' ')}: ${r.stdout}${r.stderr}`);
      assert.match(r.stderr, /^fulgor explain: /);
    }
    const bad = join(dir, 'bad.yaml');
    writeFileSync(bad, 'oidc-issuers:\n  https://x.example.com:\n    client-id: s\n    type: email\n    policy:\n      - name: r\n        allow:\n          email: ["/x/"]\n');
    const r = await explain(['--config-path', bad, '--claims', claimsFile]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /oidc-issuers\["https:\/\/x\.example\.com"\]\.policy\[0\]\.allow\.email\[0\]: regex \/x\/ must be anchored at both ends/);
  });
});
