// The log's web page (`<prefix>/ui/`, ui/) in a real browser: headless Chromium driven by playwright-core against a
// real `fulgor serve --dev` process (under a --ct-log-prefix), with certificates issued through development tokens
// (`fulgor dev-token`). A repository search lists its certificates, a result opens with every Fulcio extension
// named and its inclusion proof verified in the browser; a SAN and an extension carrying attacker markup render as
// text and run nothing; a tampered audit path shows as not verifying; the signed tree head shows with its age.
// Skipped, saying why, without Chromium (Debian package `chromium`). `fulgor ct serve` is checked to serve the page too.
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { createMissingDevKeys } from '../../ca/dev-keys.js';
import { KEY_FILES } from '../../config/keys-dir.js';
import { FULCIO_EXTENSIONS } from '../../lib/fulcio-extensions.js';
import { UI_CONTENT_SECURITY_POLICY } from '../../ui/index.js';
import { chromiumPath, launchChromium, type TestBrowser } from '../helpers/chromium.js';
import { fulgor } from '../helpers/cli-process.js';
import { startLog, type LogProcess } from '../helpers/ct-process.js';
import { clientKey, v2Request } from '../helpers/fulgor.js';
import { startServe, stopProcess, until } from '../helpers/serve-process.js';

const REPO = 'acme/lantern';
const REPO_URI = `https://github.com/${REPO}`;
const GITHUB_SUB = `repo:${REPO}:ref:refs/heads/main`;
/** A workflow name is copied into GitHub Workflow Name (.4): attacker text reaches an extension. */
const EVIL_WORKFLOW = '<img src=x onerror="window.__fulgorPwned=\'ext\'">release';
/** A valid email address (quoted local part) whose SAN is a script element. */
const EVIL_EMAIL = '"<script>window.__fulgorPwned=\'san\'</script>"@evil.example';

interface SearchAnswer {
  results: { index: number; san: string; inclusion?: { treeSize: number; rootHash: string; auditPath: string[] } }[];
  sth: { tree_size: number };
  next: unknown;
}

describe('integration: the web page in headless Chromium', function () {
  this.timeout(180_000);

  let serve: { child: ChildProcess; caUrl: string; output: () => string } | undefined;
  let browser: TestBrowser | undefined;
  let keysDir: string;
  let ctUrl: string;
  let searchMissing: string | undefined;
  const pageErrors: string[] = [];

  async function devToken(type: 'github' | 'email', claims: Record<string, string>): Promise<string> {
    const args = ['dev-token', '--type', type, '--keys-dir', keysDir, '--ca-url', serve!.caUrl];
    for (const [k, v] of Object.entries(claims)) args.push('--claim', `${k}=${v}`);
    const r = await fulgor(...args);
    assert.equal(r.code, 0, r.stderr);
    return r.stdout.trim();
  }

  async function issue(token: string, name: string): Promise<void> {
    const res = await fetch(`${serve!.caUrl}/api/v2/signingCert`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(v2Request(token, clientKey(), name)),
    });
    assert.equal(res.status, 200, await res.text());
  }

  const searchApi = async (query: string): Promise<{ status: number; body?: SearchAnswer }> => {
    const res = await fetch(`${ctUrl}/api/v1/search?${query}`);
    return { status: res.status, body: res.ok ? ((await res.json()) as SearchAnswer) : undefined };
  };

  async function newPage(): Promise<Page> {
    const page = await browser!.context.newPage();
    page.on('pageerror', (e) => pageErrors.push(e.message));
    await page.goto(`${ctUrl}/ui/`);
    await page.waitForSelector('body[data-ready="true"]');
    return page;
  }

  /** Fills one search field, submits, and waits for the first result row. */
  async function searchFor(page: Page, field: string, value: string): Promise<void> {
    await page.fill(field, value);
    await page.click('#q-submit');
    await page.waitForSelector('#results-body tr');
  }

  /** Opens the first result and waits for its proof check to end. */
  async function openFirstResult(page: Page): Promise<void> {
    await page.click('#results-body tr button.open');
    await page.waitForSelector('#proof-status.verified, #proof-status.failed');
  }

  function needsSearch(ctx: Mocha.Context): void {
    if (searchMissing) {
      console.log(`    [web-page] SKIPPED: ${searchMissing}`);
      ctx.skip();
    }
  }

  before(async function () {
    const executable = chromiumPath();
    if (!executable) {
      console.log('    [web-page] skipped: chromium not installed (Debian/Ubuntu: apt-get install chromium)');
      this.skip();
    }
    keysDir = mkdtempSync(join(tmpdir(), 'fulgor-web-page-'));
    const started = await Promise.all([
      startServe(['--dev', '--keys-dir', keysDir, '--ct-log-prefix', 'audit/log']),
      launchChromium(executable!),
    ]);
    serve = started[0];
    browser = started[1];
    ctUrl = /\(CT log (\S+)\)/.exec(serve.output())![1]!;
    assert.match(ctUrl, /\/audit\/log$/);

    const [lantern, other, evilEmail] = await Promise.all([
      devToken('github', {
        sub: GITHUB_SUB,
        repository: REPO,
        job_workflow_ref: `${REPO}/.github/workflows/release.yml@refs/heads/main`,
        workflow_ref: `${REPO}/.github/workflows/release.yml@refs/heads/main`,
        workflow: EVIL_WORKFLOW,
      }),
      devToken('github', {}),
      devToken('email', { sub: EVIL_EMAIL, email: EVIL_EMAIL }),
    ]);
    await issue(lantern, GITHUB_SUB);
    await issue(other, 'repo:acme/app:ref:refs/heads/main');
    await issue(evilEmail, EVIL_EMAIL);

    const probe = await searchApi('limit=1');
    if (probe.status === 404) searchMissing = `GET ${ctUrl}/api/v1/search answers 404: the search route is not on this log`;
    else {
      // The index may trail the log by a moment: wait until all three certificates are searchable.
      await until('the three certificates to be searchable', async () => {
        const r = await searchApi('limit=100');
        return r.body && r.body.results.length >= 3 && r.body.results.every((x) => x.inclusion) ? true : undefined;
      }, 30_000);
    }
  });

  after(async function () {
    await browser?.close();
    if (serve) await stopProcess(serve.child);
    if (keysDir) rmSync(keysDir, { recursive: true, force: true });
  });

  afterEach(function () {
    assert.deepEqual(pageErrors.splice(0), [], 'the page threw');
  });

  it('serves the page under the log prefix with a strict CSP and nosniff, and nowhere else', async function () {
    const res = await fetch(`${ctUrl}/ui/`);
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /^text\/html/);
    assert.equal(res.headers.get('content-security-policy'), UI_CONTENT_SECURITY_POLICY);
    assert.match(UI_CONTENT_SECURITY_POLICY, /script-src 'self'(;|$)/);
    assert.doesNotMatch(UI_CONTENT_SECURITY_POLICY, /unsafe-inline|unsafe-eval/);
    assert.equal(res.headers.get('x-content-type-options'), 'nosniff');
    const html = await res.text();
    assert.doesNotMatch(html, /<script(?![^>]*\bsrc=)[^>]*>/, 'no inline script');
    for (const asset of ['app.js', 'style.css', 'extensions.json']) {
      const a = await fetch(`${ctUrl}/ui/${asset}`);
      assert.equal(a.status, 200, asset);
      assert.equal(a.headers.get('x-content-type-options'), 'nosniff', asset);
      assert.equal(a.headers.get('content-security-policy'), UI_CONTENT_SECURITY_POLICY, asset);
    }
    const redirect = await fetch(`${ctUrl}/ui`, { redirect: 'manual' });
    assert.equal(redirect.status, 301);
    assert.equal(new URL(redirect.headers.get('location')!, `${ctUrl}/ui`).href, `${ctUrl}/ui/`);
    assert.equal((await fetch(`${ctUrl}/ui/nothing-here`)).status, 404);
    assert.equal((await fetch(`${ctUrl}/ui/`, { method: 'POST' })).status, 405);
    assert.equal((await fetch(`${new URL(ctUrl).origin}/ui/`)).status, 404, 'only under the prefix');
  });

  it('shows the log\'s signed tree head and its age', async function () {
    const sth = (await (await fetch(`${ctUrl}/ct/v1/get-sth`)).json()) as { tree_size: number; sha256_root_hash: string };
    const page = await newPage();
    try {
      // Locator waits run in Playwright's own world: waitForFunction's string predicate would need 'unsafe-eval',
      // which the page's CSP (rightly) refuses.
      await page.locator('#sth-size', { hasNotText: '…' }).waitFor();
      assert.equal(await page.textContent('#sth-size'), String(sth.tree_size));
      assert.equal(await page.textContent('#sth-root'), sth.sha256_root_hash);
      assert.match((await page.textContent('#sth-time')) ?? '', /^\d{4}-\d\d-\d\dT/);
      assert.match((await page.textContent('#sth-age')) ?? '', /^\(\d+ (s|min) ago\)$/);
    } finally {
      await page.close();
    }
  });

  it('finds a repository\'s certificates, opens one with every extension named and its proof verified', async function () {
    needsSearch(this);
    const page = await newPage();
    try {
      await searchFor(page, '#q-repository', REPO_URI);
      const rows = await page.$$eval('#results-body tr', (trs) =>
        trs.map((tr) => Object.fromEntries([...tr.querySelectorAll('td[class]')].map((td) => [td.className.split(' ')[0], td.textContent]))),
      );
      assert.equal(rows.length, 1, JSON.stringify(rows));
      const row = rows[0]!;
      assert.equal(row['san'], `https://github.com/${REPO}/.github/workflows/release.yml@refs/heads/main`);
      assert.equal(row['issuer'], `${serve!.caUrl}/dev-oidc/github`);
      assert.equal(row['repository'], REPO_URI);
      assert.equal(row['ref'], 'refs/heads/main');
      assert.match(row['serial'] ?? '', /^[0-9a-f]+$/);
      assert.match(row['index'] ?? '', /^\d+$/);
      assert.match(row['time'] ?? '', /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ$/);

      await openFirstResult(page);
      assert.match((await page.textContent('#proof-status')) ?? '', /^Proof verified: entry \d+, which holds the SAN, serial and extension values shown, is in the log's tree of \d+ entries/);
      const extensions = await page.$$eval('#detail-extensions-body tr', (trs) =>
        trs.map((tr) => [...tr.children].map((c) => c.textContent)),
      );
      const named = new Map(extensions.map(([name, oid, value]) => [name, { oid, value }]));
      const expect = (name: string, value: string) => {
        const row = FULCIO_EXTENSIONS.find((e) => e.name === name)!;
        assert.deepEqual(named.get(name), { oid: row.oid, value }, `${name} in ${JSON.stringify(extensions)}`);
      };
      expect('Source Repository URI', REPO_URI);
      expect('Source Repository Ref', 'refs/heads/main');
      expect('Build Signer URI', `https://github.com/${REPO}/.github/workflows/release.yml@refs/heads/main`);
      expect('Issuer (V2)', `${serve!.caUrl}/dev-oidc/github`);
      expect('Token Subject', GITHUB_SUB);
      // The attacker-chosen workflow name is shown as text, and nothing it carries ran.
      expect('GitHub Workflow Name (deprecated)', EVIL_WORKFLOW);
      assert.equal(await page.locator('#detail img').count(), 0);
      // Every extension row carries a name from the table (none left as a bare OID).
      const tableNames = new Set(FULCIO_EXTENSIONS.map((e) => e.name));
      for (const [name] of extensions) assert.ok(tableNames.has(name!), `unnamed extension ${name}`);
      assert.ok(extensions.length >= 15, `only ${extensions.length} extensions shown`);
      assert.equal(await page.evaluate('typeof window.__fulgorPwned'), 'undefined', 'a script from the log ran');
    } finally {
      await page.close();
    }
  });

  it('renders a SAN holding a <script> element as text, and runs nothing', async function () {
    needsSearch(this);
    const page = await newPage();
    try {
      await searchFor(page, '#q-san', EVIL_EMAIL);
      assert.deepEqual(await page.$$eval('#results-body td.san', (tds) => tds.map((td) => td.textContent)), [EVIL_EMAIL]);
      assert.equal(await page.locator('#results-body script, #results-body img').count(), 0);
      assert.equal(await page.locator('#results-body td.san').isVisible(), true);
      await openFirstResult(page);
      assert.equal(await page.getAttribute('#proof-status', 'class'), 'proof verified');
      const sanShown = await page.$$eval('#detail-fields dd', (dds) => dds.map((dd) => dd.textContent));
      assert.ok(sanShown.includes(EVIL_EMAIL), JSON.stringify(sanShown));
      assert.equal(await page.locator('#detail script').count(), 0);
      assert.equal(await page.locator('#detail-fields dd').getByText(EVIL_EMAIL, { exact: true }).isVisible(), true);
      assert.equal(await page.evaluate('typeof window.__fulgorPwned'), 'undefined', 'a script from the log ran');
    } finally {
      await page.close();
    }
  });

  it('runs a shared link\'s search (the address fills the form), pages with the cursor, filters by date, shows a refused query\'s reason', async function () {
    needsSearch(this);
    const today = new Date().toISOString().slice(0, 10);
    const yesterday = new Date(Date.now() - 86_400_000).toISOString().slice(0, 10);
    const page = await browser!.context.newPage();
    page.on('pageerror', (e) => pageErrors.push(e.message));
    try {
      const query = new URLSearchParams({ 'ext.sourceRepositoryUri': 'https://github.com/**', since: today, until: today, limit: '1' });
      await page.goto(`${ctUrl}/ui/?${query}`);
      await page.waitForSelector('body[data-ready="true"]');
      assert.equal(await page.inputValue('#q-repository'), 'https://github.com/**');
      assert.equal(await page.inputValue('#q-since'), today);
      assert.equal(await page.locator('#results-body tr').count(), 1);
      assert.equal(await page.isVisible('#results-more'), true);
      await page.click('#results-more');
      await page.waitForSelector('#results-body tr:nth-child(2)');
      const repos = await page.$$eval('#results-body td.repository', (tds) => tds.map((td) => td.textContent).sort());
      assert.deepEqual(repos, ['https://github.com/acme/app', REPO_URI]);
      assert.equal(await page.isVisible('#results-more'), false);
      assert.equal(await page.textContent('#results-status'), '2 certificates shown.');

      await page.fill('#q-since', '');
      await page.fill('#q-until', yesterday);
      await page.click('#q-submit');
      await page.locator('#results-status', { hasText: /^No certificate matches\.$/ }).waitFor();
      assert.equal(await page.locator('#results-body tr').count(), 0);
      assert.match(page.url(), new RegExp(`until=${yesterday}`));

      // A query the API refuses (400) is shown with the API's reason.
      await page.fill('#q-until', '');
      await page.fill('#q-san', '/^(unclosed$/');
      await page.click('#q-submit');
      await page.waitForSelector('#error:not([hidden])');
      assert.match((await page.textContent('#error')) ?? '', /^Search failed: \/audit\/log\/api\/v1\/search answered 400: parameter san/);
    } finally {
      await page.close();
    }
  });

  it('shows a proof that does not verify, or a result the entry does not back, as such (answers altered on the way)', async function () {
    needsSearch(this);
    const alterations: Record<string, { alter: (r: SearchAnswer['results'][number]) => void; says: RegExp }> = {
      'audit path': {
        alter: (r) => {
          const path = r.inclusion!.auditPath;
          assert.ok(path.length > 0, 'a tree of three entries gives every leaf a non-empty audit path');
          // '0' and '1' are digits of hex and base64 alike: one changed character, whichever the API uses.
          path[0] = (path[0]![0] === '0' ? '1' : '0') + path[0]!.slice(1);
        },
        says: /^Proof does NOT verify: entry \d+ and its audit path lead to a root that is not the signed tree head's/,
      },
      SAN: {
        alter: (r) => void (r.san = 'https://github.com/acme/innocent/.github/workflows/release.yml@refs/heads/main'),
        says: /^Not verified: log entry \d+ does not hold the SAN shown for it/,
      },
    };
    for (const [what, { alter, says }] of Object.entries(alterations)) {
      const page = await newPage();
      try {
        await page.route('**/api/v1/search?**', async (route) => {
          const response = await route.fetch();
          const body = (await response.json()) as SearchAnswer;
          body.results.forEach(alter);
          await route.fulfill({ response, json: body });
        });
        await searchFor(page, '#q-repository', REPO_URI);
        await openFirstResult(page);
        assert.equal(await page.getAttribute('#proof-status', 'class'), 'proof failed', what);
        assert.match((await page.textContent('#proof-status')) ?? '', says, what);
      } finally {
        await page.close();
      }
    }
  });
});

describe('integration: `fulgor ct serve` serves the web page too', function () {
  this.timeout(60_000);

  it('answers /ui/ beside the log endpoints of a standalone log', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'fulgor-web-page-ct-'));
    const keysDir = join(dir, 'keys');
    let log: LogProcess | undefined;
    try {
      await createMissingDevKeys(keysDir);
      log = await startLog(join(dir, 'ct-data'), keysDir, join(keysDir, KEY_FILES.rootCert));
      const res = await fetch(`${log.url}/ui/`);
      assert.equal(res.status, 200);
      assert.equal(res.headers.get('content-security-policy'), UI_CONTENT_SECURITY_POLICY);
      assert.match(await res.text(), /<script type="module" src="app.js"><\/script>/);
      assert.equal((await fetch(`${log.url}/ct/v1/get-sth`)).status, 200);
    } finally {
      if (log) await stopProcess(log.child);
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
