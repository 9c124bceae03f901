import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { publicJwk } from '../../oidc/dev-issuer.js';

const BIN = join(process.cwd(), 'dist/bin/fulgor.js');
const SHIPPED = '/work/shared/fixtures/fulcio-identity-config.yaml';

/** Runs `fulgor config check`; resolves with the exit code and output whatever the code. */
function check(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [BIN, 'config', 'check', ...args], (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : -1) : 0, stdout, stderr });
    });
  });
}

const BAD_YAML = `
oidc-issuers:
  https://issuer.example.com:
    issuer-url: https://issuer.example.com
    cleint-id: sigstore
    type: email
  not a url:
    client-id: sigstore
    type: github-workflow
    jwks-path: missing-jwks.json
  https://ci.example.com:
    client-id: sigstore
    type: ci-provider
    ci-provider: acme
    policy:
      - name: main-only
        allow:
          ref: ["/refs/heads/main/"]
ci-issuer-metadata:
  acme:
    subject-alternative-name-template: "{{ .url "
    extension-templates:
      build-signer-urii: "{{ .job_workflow_ref }}"
OIDCIssuers: {}
`;

describe('cli: fulgor config check', function () {
  this.timeout(30_000);
  let dir: string;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'fulgor-config-check-'));
    const key = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
    writeFileSync(join(dir, 'jwks.json'), JSON.stringify({ keys: [await publicJwk(key)] }));
    writeFileSync(join(dir, 'not-a-jwks.json'), JSON.stringify({ keys: [] }));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('lists every problem of a bad file with its location and exits non-zero', async () => {
    const path = join(dir, 'bad.yaml');
    writeFileSync(path, BAD_YAML);
    const { code, stdout } = await check('--config-path', path);
    assert.equal(code, 1, stdout);
    const expected = [
      // from the loader: missing field, bad URL, bad template, bad policy pattern
      'oidc-issuers["https://issuer.example.com"].client-id: required',
      'oidc-issuers["not a url"].issuer-url: "not a url" is not a valid URL',
      'ci-issuer-metadata["acme"].subject-alternative-name-template: ',
      'oidc-issuers["https://ci.example.com"].policy[0].allow.ref[0]: ',
      // unknown keys: a typo, a JSON spelling in YAML, a misspelt extension
      'oidc-issuers["https://issuer.example.com"].cleint-id: unknown key (did you mean "client-id"?)',
      'OIDCIssuers: unknown key: "OIDCIssuers" is the JSON spelling; YAML files use "oidc-issuers"',
      'ci-issuer-metadata["acme"].extension-templates.build-signer-urii: unknown key',
      // a JWKSPath file that does not exist (relative to the config file)
      `oidc-issuers["not a url"].jwks-path: ${join(dir, 'missing-jwks.json')}: cannot read a JWKS`,
    ];
    for (const line of expected) assert.ok(stdout.includes(`  - ${line}`), `missing ${JSON.stringify(line)} in:\n${stdout}`);
    assert.match(stdout, /^.*bad\.yaml: 8 problems:$/m);
  });

  it('reports a parse error with its line, and --json gives the same problems to machines', async () => {
    const path = join(dir, 'broken.yaml');
    writeFileSync(path, 'oidc-issuers:\n  https://a.example.com:\n    client-id: [unclosed\n');
    const text = await check('--config-path', path);
    assert.equal(text.code, 1);
    assert.match(text.stdout, /neither valid JSON nor valid YAML.*line \d+/s);

    const bad = join(dir, 'bad.yaml');
    const { code, stdout } = await check('--config-path', bad, '--json');
    assert.equal(code, 1);
    const report = JSON.parse(stdout);
    assert.equal(report.ok, false);
    assert.equal(report.path, bad);
    assert.equal(report.problems.length, 8);
    assert.ok(report.problems.some((p: string) => p.startsWith('OIDCIssuers: unknown key')));
  });

  it('reports policy regexes the linear-time engine cannot run (lookaround, backreferences), with their locations', async () => {
    const path = join(dir, 'backtracking.yaml');
    writeFileSync(path, [
      'oidc-issuers:',
      '  https://ci.example.com:',
      '    client-id: sigstore',
      '    type: github-workflow',
      '    policy:',
      '      - name: releases',
      '        allow:',
      "          release: ['/^v([0-9]+\\.?)+$/', '/^(?<=v)1$/']",
      '      - name: no-repeats',
      '        deny:',
      "          repository: ['/^(.+)\\/\\1$/']",
      '',
    ].join('\n'));
    const { code, stdout } = await check('--config-path', path);
    assert.equal(code, 1, stdout);
    const at = 'oidc-issuers["https://ci.example.com"].policy';
    assert.ok(stdout.includes(`  - ${at}[0].allow.release[1]: regex /^(?<=v)1$/ uses syntax the linear-time engine (RE2) does not support: `), stdout);
    assert.ok(stdout.includes(`  - ${at}[1].deny.repository[0]: regex /^(.+)\\/\\1$/ uses syntax the linear-time engine (RE2) does not support: `), stdout);
    assert.match(stdout, /: 2 problems:/, 'the nested-quantifier regex itself is fine: RE2 matches it in linear time');
  });

  it('exits 0 with "ok" and any warnings for a clean file, JWKSPath included', async () => {
    const path = join(dir, 'good.json');
    writeFileSync(
      path,
      JSON.stringify({
        OIDCIssuers: {
          'https://air-gapped.internal': { IssuerURL: 'https://air-gapped.internal', ClientID: 'sigstore', Type: 'email', JWKSPath: 'jwks.json' },
          'https://gitlab.example.com': { IssuerURL: 'https://gitlab.example.com/', ClientID: 'sigstore', Type: 'gitlab-pipeline', Policy: [{ Name: 'main', Allow: { ref: ['main'] } }] },
        },
        MetaIssuers: { 'https://oidc.eks.*.amazonaws.com/id/*': { ClientID: 'sigstore', Type: 'kubernetes' } },
      }),
    );
    const { code, stdout } = await check('--config-path', path);
    assert.equal(code, 0, stdout);
    assert.match(stdout, /good\.json: ok \(2 issuers, 1 meta issuer\)/);
    assert.match(stdout, /1 warning:\n {2}- OIDCIssuers\["https:\/\/gitlab\.example\.com"\]\.IssuerURL: .*differs from its key/);
    const json = JSON.parse((await check('--config-path', path, '--json')).stdout);
    assert.deepEqual({ ok: json.ok, problems: json.problems, issuers: json.issuers, metaIssuers: json.metaIssuers }, { ok: true, problems: [], issuers: 2, metaIssuers: 1 });
  });

  it('reports unknown keys in an otherwise valid file, and a JWKSPath that holds no keys', async () => {
    const path = join(dir, 'unknown.json');
    writeFileSync(
      path,
      JSON.stringify({
        oidcissuers: { 'https://a.example.com': { IssuerURL: 'https://a.example.com', ClientID: 'sigstore', Type: 'email', 'client-id': 'x', Audience: 'y', JWKSPath: join(dir, 'not-a-jwks.json') } },
        Issuers: {},
      }),
    );
    const { code, stdout } = await check('--config-path', path);
    assert.equal(code, 1, stdout);
    assert.match(stdout, / {2}- Issuers: unknown key\n/);
    // Locations use the canonical section name, as the loader's do.
    assert.match(stdout, / {2}- OIDCIssuers\["https:\/\/a\.example\.com"\]\.client-id: unknown key: "client-id" is the YAML spelling; JSON files use "ClientID"/);
    assert.match(stdout, / {2}- OIDCIssuers\["https:\/\/a\.example\.com"\]\.Audience: unknown key\n/);
    assert.match(stdout, /\.JWKSPath: .*not-a-jwks\.json: "keys" is empty/);
    assert.match(stdout, /: 4 problems:/);
    assert.doesNotMatch(stdout, /oidcissuers: unknown key/i, 'JSON keys match case-insensitively, as in Go');
  });

  it("accepts Fulcio's shipped YAML unchanged (aliases as keys, define:)", async () => {
    const { code, stdout } = await check('--config-path', SHIPPED);
    assert.equal(code, 0, stdout);
    assert.match(stdout, /: ok \(\d+ issuers, \d+ meta issuers\)/);
  });

  it('needs --config-path (usage error, exit 2) and reports an unreadable file', async () => {
    const usage = await check();
    assert.equal(usage.code, 2);
    assert.match(usage.stderr, /--config-path is required/);
    const missing = await check('--config-path', join(dir, 'nope.yaml'));
    assert.equal(missing.code, 1);
    assert.match(missing.stdout, /nope\.yaml: cannot read/);
  });
});
