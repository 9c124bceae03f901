// `fulgor search` as a real process against a real `fulgor serve --dev` process: certificates issued for dev tokens
// (GitHub and email), found by SAN glob under the log's --ct-log-prefix, each result's STH and inclusion proof verified
// with the log's public key (--json, verified: true); a wrong key marks them verified: false (exit 1) without
// dropping them; a SAN holding <script> comes back as JSON data; a log without the search API is indexed through
// get-entries; --ct-storage reads the store directly; bad flags exit 2.
import assert from 'node:assert/strict';
import { execFile, type ChildProcess } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { fulgor } from '../helpers/cli-process.js';
import { clientKey, v2Request } from '../helpers/fulgor.js';
import { BIN, startServe, stopProcess } from '../helpers/serve-process.js';

const run = promisify(execFile);

interface CliResult {
  index: number;
  san: string;
  issuer: string;
  serial: string;
  extensions: Record<string, string>;
  verified: boolean;
  problem?: string;
}

const SCRIPT_REPO = 'acme/x<script>alert(1)</script>';

describe('cli: fulgor search against a real serve --dev process', function () {
  this.timeout(120_000);
  let dir: string, keysDir: string, ctData: string;
  let child: ChildProcess | undefined;
  let caUrl: string, ctUrl: string;

  const ctUrlOf = (output: string) => /\(CT log (\S+)\)/.exec(output)?.[1];

  async function issue(type: 'github' | 'email', name: string, claims: string[] = []) {
    const { stdout } = await run(process.execPath, [BIN, 'dev-token', '--type', type, '--keys-dir', keysDir, '--ca-url', caUrl, ...claims.flatMap((c) => ['--claim', c])]);
    const res = await fetch(`${caUrl}/api/v2/signingCert`, { method: 'POST', body: JSON.stringify(v2Request(stdout.trim(), clientKey(), name)) });
    assert.equal(res.status, 200, await res.text());
  }

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'fulgor-search-cli-'));
    keysDir = join(dir, 'keys');
    ctData = join(dir, 'ct-data');
    const started = await startServe(['--dev', '--keys-dir', keysDir, '--ct-storage', `file:${ctData}`, '--ct-log-prefix', 'audit']);
    child = started.child;
    caUrl = started.caUrl;
    ctUrl = ctUrlOf(started.output())!;
    assert.match(ctUrl, /\/audit$/);
    await issue('github', 'repo:acme/app:ref:refs/heads/main');
    await issue('github', 'repo:acme/lib:ref:refs/tags/v2', [
      'sub=repo:acme/lib:ref:refs/tags/v2',
      'repository=acme/lib',
      'job_workflow_ref=acme/lib/.github/workflows/release.yml@refs/tags/v2',
      'ref=refs/tags/v2',
      'ref_type=tag',
    ]);
    await issue('github', `repo:${SCRIPT_REPO}:ref:refs/heads/main`, [
      `sub=repo:${SCRIPT_REPO}:ref:refs/heads/main`,
      `repository=${SCRIPT_REPO}`,
      `job_workflow_ref=${SCRIPT_REPO}/.github/workflows/release.yml@refs/heads/main`,
    ]);
    await issue('email', 'dev@example.com');
  });

  after(async () => {
    if (child) await stopProcess(child);
    rmSync(dir, { recursive: true, force: true });
  });

  const pub = () => join(keysDir, 'ctlog.pub.pem');

  it('finds certificates by SAN glob and prints them verified with the log key (--json)', async () => {
    const r = await fulgor('search', '--log-url', ctUrl, '--log-public-key', pub(), '--san', 'https://github.com/acme/*/.github/workflows/*@refs/**', '--since', '2020-01-01', '--json');
    assert.equal(r.code, 0, r.stderr);
    const results = JSON.parse(r.stdout) as CliResult[];
    assert.deepEqual(results.map((x) => x.san), [
      'https://github.com/acme/app/.github/workflows/release.yml@refs/heads/main',
      'https://github.com/acme/lib/.github/workflows/release.yml@refs/tags/v2',
    ]);
    for (const x of results) assert.equal(x.verified, true, x.problem);
    assert.equal(results[1]!.extensions.sourceRepositoryRef, 'refs/tags/v2');

    const byExt = await fulgor('search', '--log-url', ctUrl, '--log-public-key', pub(), '--ext', 'sourceRepositoryRef=refs/tags/*', '--json');
    assert.deepEqual((JSON.parse(byExt.stdout) as CliResult[]).map((x) => x.san), ['https://github.com/acme/lib/.github/workflows/release.yml@refs/tags/v2']);

    const table = await fulgor('search', '--log-url', ctUrl, '--log-public-key', pub(), '--san', 'dev@example.com');
    assert.equal(table.code, 0, table.stderr);
    assert.match(table.stdout, /^TIME\s+INDEX\s+SAN\s+ISSUER\s+SERIAL\s+VERIFIED\n/);
    assert.match(table.stdout, /dev@example\.com .* yes\n$/);
  });

  it('marks results verified: false when the key is wrong or missing, and keeps them', async () => {
    const wrong = join(dir, 'wrong.pub.pem');
    writeFileSync(wrong, generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).publicKey.export({ type: 'spki', format: 'pem' }) as string);
    const r = await fulgor('search', '--log-url', ctUrl, '--log-public-key', wrong, '--san', 'https://github.com/acme/**', '--json');
    assert.equal(r.code, 1);
    const results = JSON.parse(r.stdout) as CliResult[];
    assert.equal(results.length, 3);
    for (const x of results) {
      assert.equal(x.verified, false);
      assert.match(x.problem!, /tree head signature does not verify/);
    }
    assert.match(r.stderr, /3 result\(s\) could not be verified/);
    const none = await fulgor('search', '--log-url', ctUrl, '--san', 'dev@example.com', '--json');
    assert.equal(none.code, 0);
    assert.match(none.stderr, /warning: no --log-public-key/);
    assert.deepEqual((JSON.parse(none.stdout) as CliResult[]).map((x) => [x.san, x.verified]), [['dev@example.com', false]]);
  });

  it('returns attacker-chosen values holding <script> as JSON data, never as markup', async () => {
    // The CA percent-encodes the repository in the SAN URI (as Fulcio does); the raw claim stays in extension .5.
    const san = 'https://github.com/acme/x%3Cscript%3Ealert%281%29%3C/script%3E/.github/workflows/release.yml@refs/heads/main';
    const res = await fetch(`${ctUrl}/api/v1/search?ext.githubWorkflowRepository=${encodeURIComponent('**<script>**')}`);
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type')!, /^application\/json/);
    assert.equal(res.headers.get('x-content-type-options'), 'nosniff');
    const body = (await res.json()) as { results: { san: string; extensions: Record<string, string> }[] };
    assert.deepEqual(body.results.map((x) => [x.san, x.extensions.githubWorkflowRepository]), [[san, SCRIPT_REPO]]);
    const cli = await fulgor('search', '--log-url', ctUrl, '--log-public-key', pub(), '--ext', `githubWorkflowRepository=${SCRIPT_REPO}`, '--json');
    assert.deepEqual((JSON.parse(cli.stdout) as CliResult[]).map((x) => [x.extensions.githubWorkflowRepository, x.verified]), [[SCRIPT_REPO, true]]);
  });

  it('refuses bad flags and bad queries with exit 2 and the reason', async () => {
    const cases: [string[], RegExp][] = [
      [['--san', 'x'], /exactly one of --log-url URL or --ct-storage/],
      [['--log-url', ctUrl, '--since', 'last week'], /--since must be an RFC 3339 time/],
      [['--log-url', ctUrl, '--ext', 'nonsense'], /--ext takes NAME=VALUE/],
      [['--log-url', ctUrl, '--ext', 'noSuchField=1'], /unknown extension "noSuchField"/],
      [['--log-url', ctUrl, '--limit', '0'], /--limit must be a positive integer/],
    ];
    for (const [args, message] of cases) {
      const r = await fulgor('search', ...args);
      assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, message);
    }
  });

  it('indexes a log without the search API through get-entries, and reads a stopped log from its storage', async () => {
    await stopProcess(child!);
    const plain = await startServe(['--dev', '--keys-dir', keysDir, '--ct-storage', `file:${ctData}`, '--search-index', 'off']);
    child = plain.child;
    const url = ctUrlOf(plain.output())!;
    assert.equal((await fetch(`${url}/api/v1/search`)).status, 404);
    const r = await fulgor('search', '--log-url', url, '--log-public-key', pub(), '--san', 'https://github.com/acme/**', '--json');
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /has no search API; indexing it by following get-entries/);
    const results = JSON.parse(r.stdout) as CliResult[];
    assert.equal(results.length, 3);
    for (const x of results) assert.equal(x.verified, true, x.problem);
    await stopProcess(child);
    child = undefined;

    const offline = await fulgor('search', '--ct-storage', `file:${ctData}`, '--log-public-key', pub(), '--issuer', '**/dev-oidc/email', '--json');
    assert.equal(offline.code, 0, offline.stderr);
    assert.deepEqual((JSON.parse(offline.stdout) as CliResult[]).map((x) => [x.san, x.verified]), [['dev@example.com', true]]);
  });
});
