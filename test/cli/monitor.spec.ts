// `fulgor monitor` as a real process against the real Fulgor (CA + companion CT log over HTTP, real local OIDC
// issuers): it catches a planted unexpected identity and nothing else, resumes from its state, reports a forked or
// rewound log (two companion logs with the same CT key), delivers to a webhook, follows until SIGTERM, and refuses a
// bad rules file naming the problem.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KEY_FILES } from '../../config/keys-dir.js';
import { fulgor } from '../helpers/cli-process.js';
import { clientKey, startFulgor, v2Request, type TestFulgor } from '../helpers/fulgor.js';
import { startIssuer, type TestIssuer } from '../helpers/oidc-issuer.js';
import { BIN, exited, startServe, stopProcess, until } from '../helpers/serve-process.js';

interface Line {
  kind: string;
  rule?: string;
  index?: number;
  san?: string;
  issuer?: string;
  precert?: boolean;
  timestamp?: number;
  reason?: string;
  matched?: Record<string, { value: string; pattern: string }>;
}

const lines = (stdout: string): Line[] =>
  stdout
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as Line);

const REF_RULES = `# any certificate for a repository acme/* from a ref that is not main or a v* tag
rules:
  - name: acme-unexpected-ref
    match:
      sourceRepositoryUri: ["https://github.com/acme/*"]
    unless:
      sourceRepositoryRef: ["refs/heads/main", "refs/tags/v*"]
`;

describe('cli: fulgor monitor (identity monitoring over the real log)', function () {
  this.timeout(120_000);

  let github: TestIssuer, email: TestIssuer;
  let keysDir: string, work: string;
  let a: TestFulgor, b: TestFulgor;
  let logKey: string, refRules: string;
  /** The log index of the planted certificate (refs/heads/evil) in log A. */
  let evilIndex: number;

  const config = () => ({
    OIDCIssuers: {
      [github.url]: { IssuerURL: github.url, ClientID: 'sigstore', Type: 'github-workflow' },
      [email.url]: { IssuerURL: email.url, ClientID: 'sigstore', Type: 'email' },
    },
  });

  async function treeSize(f: TestFulgor): Promise<number> {
    return ((await (await fetch(`${f.ctUrl}/ct/v1/get-sth`)).json()) as { tree_size: number }).tree_size;
  }

  /** A GitHub Actions certificate for `repo` at `ref`; resolves with its log index. */
  async function issueGithub(f: TestFulgor, repo: string, ref: string): Promise<number> {
    const sub = `repo:${repo}:ref:${ref}`;
    const workflowRef = `${repo}/.github/workflows/release.yml@${ref}`;
    const token = await github.mint('github', {
      claims: {
        sub,
        repository: repo,
        repository_owner: repo.split('/')[0],
        ref,
        ref_type: ref.startsWith('refs/tags/') ? 'tag' : 'branch',
        job_workflow_ref: workflowRef,
        workflow_ref: workflowRef,
      },
    });
    const res = await f.post('/api/v2/signingCert', v2Request(token, clientKey(), sub));
    assert.equal(res.status, 200, res.text);
    return (await treeSize(f)) - 1;
  }

  async function issueEmail(f: TestFulgor, address: string): Promise<number> {
    const token = await email.mint('email', { claims: { sub: address, email: address } });
    const res = await f.post('/api/v2/signingCert', v2Request(token, clientKey(), address));
    assert.equal(res.status, 200, res.text);
    return (await treeSize(f)) - 1;
  }

  const monitor = (f: TestFulgor, ...args: string[]) => fulgor('monitor', '--log-url', f.ctUrl, '--log-public-key', logKey, ...args);
  const file = (name: string, text: string) => {
    const p = join(work, name);
    writeFileSync(p, text);
    return p;
  };

  before(async () => {
    work = mkdtempSync(join(tmpdir(), 'fulgor-monitor-'));
    keysDir = mkdtempSync(join(tmpdir(), 'fulgor-monitor-keys-'));
    [github, email] = await Promise.all([startIssuer('/gh'), startIssuer('/mail')]);
    // Two companion logs with the same CT key (the same keys directory), each in memory: the same log identity with
    // two different histories, which is what a forked log looks like from outside.
    a = await startFulgor(config(), { keysDir });
    b = await startFulgor(config(), { keysDir });
    logKey = join(keysDir, KEY_FILES.ctPub);
    refRules = file('rules.yaml', REF_RULES);
    await issueGithub(a, 'acme/app', 'refs/heads/main');
    await issueGithub(a, 'acme/app', 'refs/tags/v1.2.0');
    await issueEmail(a, 'dev@acme.example');
    evilIndex = await issueGithub(a, 'acme/app', 'refs/heads/evil');
    await issueGithub(a, 'other/tool', 'refs/heads/feature');
    await issueEmail(a, 'someone@elsewhere.example');
  });

  after(async () => {
    await Promise.all([a?.close(), b?.close(), github?.close(), email?.close()]);
    rmSync(work, { recursive: true, force: true });
    rmSync(keysDir, { recursive: true, force: true });
  });

  it('--once catches exactly the planted identity (a workflow on refs/heads/evil): exit 1, one JSON line', async () => {
    assert.equal(await treeSize(a), 6, 'one log entry (the precertificate) per certificate');
    const r = await monitor(a, '--rules', refRules, '--once');
    assert.equal(r.code, 1, r.stderr);
    const found = lines(r.stdout);
    assert.equal(found.length, 1, r.stdout);
    const [f] = found;
    assert.equal(f!.kind, 'certificate');
    assert.equal(f!.rule, 'acme-unexpected-ref');
    assert.equal(f!.index, evilIndex);
    assert.equal(f!.san, 'https://github.com/acme/app/.github/workflows/release.yml@refs/heads/evil');
    assert.equal(f!.issuer, github.url);
    assert.equal(f!.precert, true);
    assert.ok(typeof f!.timestamp === 'number' && Math.abs(Date.now() - f!.timestamp) < 600_000);
    assert.deepEqual(f!.matched, { sourceRepositoryUri: { value: 'https://github.com/acme/app', pattern: 'https://github.com/acme/*' } });
  });

  it('--once with rules nothing matches: exit 0, nothing on stdout', async () => {
    const rules = file('none.json', JSON.stringify({ rules: [{ name: 'evil-domain', match: { san: ['*@evil.example'] } }] }));
    const r = await monitor(a, '--rules', rules, '--once');
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, '');
  });

  it('email patterns, Fulcio extensions by OID and an expected-identities list (JSON rules file)', async () => {
    const rules = file(
      'more.json',
      JSON.stringify({
        rules: [
          { name: 'acme-email', match: { san: ['*@acme.example'] } },
          // .12 is Source Repository URI: the same field by OID.
          {
            name: 'acme-expected',
            match: { '1.3.6.1.4.1.57264.1.12': ['https://github.com/acme/**'] },
            expected: [
              { san: ['https://github.com/acme/app/.github/workflows/release.yml@refs/heads/main'], issuer: [github.url] },
              { sourceRepositoryRef: ['refs/tags/v*'] },
            ],
          },
        ],
      }),
    );
    const r = await monitor(a, '--rules', rules, '--once');
    assert.equal(r.code, 1, r.stderr);
    const found = lines(r.stdout).map((f) => [f.rule, f.index, f.san]);
    assert.deepEqual(found, [
      ['acme-email', 2, 'dev@acme.example'],
      ['acme-expected', evilIndex, 'https://github.com/acme/app/.github/workflows/release.yml@refs/heads/evil'],
    ]);
  });

  it('resumes from --state: a second run reports nothing, a third only the new entry', async () => {
    const state = join(work, 'resume.json');
    let r = await monitor(a, '--rules', refRules, '--once', '--state', state);
    assert.equal(r.code, 1, r.stderr);
    assert.deepEqual(lines(r.stdout).map((f) => f.index), [evilIndex]);
    const saved = JSON.parse(readFileSync(state, 'utf8')) as { nextIndex: number; sth: { treeSize: number } };
    assert.equal(saved.nextIndex, 6);
    assert.equal(saved.sth.treeSize, 6);

    r = await monitor(a, '--rules', refRules, '--once', '--state', state);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, '');

    await issueGithub(a, 'acme/app', 'refs/heads/main');
    const again = await issueGithub(a, 'acme/web', 'refs/heads/evil-too');
    r = await monitor(a, '--rules', refRules, '--once', '--state', state);
    assert.equal(r.code, 1, r.stderr);
    assert.deepEqual(lines(r.stdout).map((f) => [f.index, f.san]), [[again, 'https://github.com/acme/web/.github/workflows/release.yml@refs/heads/evil-too']]);
    assert.equal((JSON.parse(readFileSync(state, 'utf8')) as { nextIndex: number }).nextIndex, again + 1);
  });

  it('a rewound log (same key, smaller tree) is log_inconsistent: exit 2, the state is not advanced', async () => {
    const state = join(work, 'rewind.json');
    assert.equal((await monitor(a, '--rules', refRules, '--once', '--state', state)).code, 1);
    const before = readFileSync(state, 'utf8');
    await issueGithub(b, 'acme/app', 'refs/heads/main');
    await issueGithub(b, 'acme/app', 'refs/heads/evil');
    const r = await monitor(b, '--rules', refRules, '--once', '--state', state);
    assert.equal(r.code, 2, r.stderr);
    const found = lines(r.stdout);
    assert.equal(found.length, 1, r.stdout);
    assert.equal(found[0]!.kind, 'log_inconsistent');
    assert.equal(found[0]!.reason, 'rewind');
    assert.match(r.stderr, /LOG INCONSISTENT \(rewind\)/);
    assert.equal(readFileSync(state, 'utf8'), before, 'state unchanged');
  });

  it('a forked log (same key: another root for the verified size, then a bigger tree not extending it) is log_inconsistent: exit 2', async () => {
    const state = join(work, 'fork.json');
    assert.equal((await monitor(a, '--rules', refRules, '--once', '--state', state)).code, 1);
    const before = readFileSync(state, 'utf8');
    const target = await treeSize(a);
    // The same size with another root.
    while ((await treeSize(b)) < target) await issueEmail(b, 'dev@acme.example');
    let r = await monitor(b, '--rules', refRules, '--once', '--state', state);
    assert.equal(r.code, 2, r.stderr);
    assert.deepEqual(lines(r.stdout).map((f) => [f.kind, f.reason]), [['log_inconsistent', 'fork']], r.stdout);
    assert.match(r.stderr, new RegExp(`two different roots for tree size ${target}`));
    // A bigger tree that does not extend the verified one.
    await issueEmail(b, 'dev@acme.example');
    r = await monitor(b, '--rules', refRules, '--once', '--state', state);
    assert.equal(r.code, 2, r.stderr);
    assert.deepEqual(lines(r.stdout).map((f) => [f.kind, f.reason]), [['log_inconsistent', 'fork']], r.stdout);
    assert.match(r.stderr, /consistency proof does not verify/);
    assert.equal(readFileSync(state, 'utf8'), before, 'state unchanged');
  });

  it('posts each finding to the webhook; one it does not accept is kept in the state and delivered at the next run', async () => {
    const bodies: string[] = [];
    let accept = false;
    const server: Server = createServer((req, res) => {
      let body = '';
      req.on('data', (d: Buffer) => (body += d.toString()));
      req.on('end', () => {
        if (accept) bodies.push(body);
        res.statusCode = accept ? 204 : 500;
        res.end();
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
    try {
      const state = join(work, 'webhook.json');
      // Refused: printed on stdout all the same, kept for later, and --once says something went wrong (exit 2).
      let r = await monitor(a, '--rules', refRules, '--once', '--state', state, '--webhook', url);
      assert.equal(r.code, 2, r.stderr);
      const printed = lines(r.stdout);
      assert.ok(printed.length >= 1 && printed[0]!.index === evilIndex, r.stdout);
      assert.match(r.stderr, /did not accept a certificate finding: HTTP 500 after 3 attempts/);
      assert.equal((JSON.parse(readFileSync(state, 'utf8')) as { undelivered: unknown[] }).undelivered.length, printed.length);

      accept = true;
      r = await monitor(a, '--rules', refRules, '--once', '--state', state, '--webhook', url);
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stdout, '', 'nothing new to print');
      assert.deepEqual(bodies.map((b) => JSON.parse(b) as unknown), printed, 'the webhook got exactly the printed findings');
      assert.equal((JSON.parse(readFileSync(state, 'utf8')) as { undelivered: unknown[] }).undelivered.length, 0);

      // A fresh run with a working webhook delivers at once.
      bodies.length = 0;
      r = await monitor(a, '--rules', refRules, '--once', '--webhook', url);
      assert.equal(r.code, 1, r.stderr);
      assert.deepEqual(bodies.map((b) => JSON.parse(b) as unknown), lines(r.stdout));
    } finally {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    }
  });

  it('without --once it keeps following: a certificate issued later is reported; SIGTERM stops it with exit 0', async () => {
    const state = join(work, 'follow.json');
    const child = spawn(
      process.execPath,
      [BIN, 'monitor', '--log-url', a.ctUrl, '--log-public-key', logKey, '--rules', refRules, '--state', state, '--interval', '1s', '--start-at-end'],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    try {
      await until('the monitor to start at the end', () => (/starting at the end/.test(err) ? true : undefined));
      assert.equal(out, '', 'nothing before the end is reported with --start-at-end');
      const index = await issueGithub(a, 'acme/lib', 'refs/heads/late-night');
      await until('the finding', () => (out.includes('\n') ? true : undefined), 15_000);
      assert.deepEqual(lines(out).map((f) => [f.rule, f.index]), [['acme-unexpected-ref', index]]);
      child.kill('SIGTERM');
      const { code } = await exited(child);
      assert.equal(code, 0, err);
      assert.equal((JSON.parse(readFileSync(state, 'utf8')) as { nextIndex: number }).nextIndex, index + 1);
    } finally {
      await stopProcess(child);
    }
  });

  it('refuses a bad rules file with exit 2, naming the rule and the problem', async () => {
    const unknownField = file('bad-field.yaml', 'rules:\n  - name: typo\n    match:\n      sourceRepoUri: ["https://github.com/acme/*"]\n');
    let r = await monitor(a, '--rules', unknownField, '--once');
    assert.equal(r.code, 2);
    assert.match(r.stderr, /rules\[0\] \("typo"\)\.match: unknown field "sourceRepoUri"/);

    const badPattern = file('bad-pattern.json', JSON.stringify({ rules: [{ name: 'broken', match: { san: ['/^(a$/'] } }] }));
    r = await monitor(a, '--rules', badPattern, '--once');
    assert.equal(r.code, 2);
    assert.match(r.stderr, /rules\[0\] \("broken"\)\.match\.san\[0\]: regex \/\^\(a\$\/ does not compile/);

    const unknownKey = file('bad-key.yaml', 'rules:\n  - name: k\n    match: {san: ["*"]}\n    except: {san: ["x"]}\n');
    r = await monitor(a, '--rules', unknownKey, '--once');
    assert.equal(r.code, 2);
    assert.match(r.stderr, /rules\[0\] \("k"\): unknown key "except"/);
    assert.equal(r.stdout, '');
  });

  it('refuses to run without the log key, and a key that does not verify the STH is an error (exit 2)', async () => {
    let r = await fulgor('monitor', '--log-url', a.ctUrl, '--rules', refRules, '--once');
    assert.equal(r.code, 2);
    assert.match(r.stderr, /--log-public-key is required/);
    const otherKeys = mkdtempSync(join(tmpdir(), 'fulgor-monitor-other-'));
    try {
      const other = await startFulgor(config(), { keysDir: otherKeys });
      await other.close();
      r = await fulgor('monitor', '--log-url', a.ctUrl, '--log-public-key', join(otherKeys, KEY_FILES.ctPub), '--rules', refRules, '--once');
      assert.equal(r.code, 2);
      assert.match(r.stderr, /STH signature does not verify/);
      assert.equal(r.stdout, '');
    } finally {
      rmSync(otherKeys, { recursive: true, force: true });
    }
  });
});

describe('cli: fulgor monitor against `fulgor serve --dev` with `fulgor dev-token` identities (all real processes)', function () {
  this.timeout(120_000);

  it('catches the planted workflow on refs/heads/evil among ordinary GitHub and email certificates', async () => {
    const keysDir = mkdtempSync(join(tmpdir(), 'fulgor-monitor-dev-'));
    const serve = await startServe(['--dev', '--keys-dir', keysDir]);
    try {
      const ctUrl = /\(CT log (\S+)\)/.exec(serve.output())![1]!;
      const devToken = async (type: string, ...claims: string[]) => {
        const r = await fulgor('dev-token', '--type', type, '--keys-dir', keysDir, '--ca-url', serve.caUrl, ...claims.flatMap((c) => ['--claim', c]));
        assert.equal(r.code, 0, r.stderr);
        return r.stdout.trim();
      };
      const issue = async (token: string, name: string) => {
        const key = clientKey();
        const res = await fetch(`${serve.caUrl}/api/v2/signingCert`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(v2Request(token, key, name)),
        });
        assert.equal(res.status, 200, await res.text());
      };
      await issue(await devToken('github'), 'repo:acme/app:ref:refs/heads/main');
      await issue(await devToken('email'), 'dev@example.com');
      const evil = 'repo:acme/app:ref:refs/heads/evil';
      await issue(
        await devToken('github', `sub=${evil}`, 'ref=refs/heads/evil', 'job_workflow_ref=acme/app/.github/workflows/release.yml@refs/heads/evil'),
        evil,
      );
      await issue(await devToken('github', 'ref=refs/tags/v2.0.0', 'sub=repo:acme/app:ref:refs/tags/v2.0.0'), 'repo:acme/app:ref:refs/tags/v2.0.0');

      const rules = join(keysDir, 'rules.yaml');
      writeFileSync(rules, REF_RULES);
      const r = await fulgor('monitor', '--log-url', ctUrl, '--log-public-key', join(keysDir, KEY_FILES.ctPub), '--rules', rules, '--once');
      assert.equal(r.code, 1, r.stderr);
      const found = lines(r.stdout);
      assert.deepEqual(
        found.map((f) => [f.rule, f.index, f.san]),
        [['acme-unexpected-ref', 2, 'https://github.com/acme/app/.github/workflows/release.yml@refs/heads/evil']],
      );
    } finally {
      await stopProcess(serve.child);
      rmSync(keysDir, { recursive: true, force: true });
    }
  });
});
