// The web page's router (ui/route.ts) on a real HTTP server: the assets are found from the package npm would
// install (packed with `npm pack`, unpacked, and its dist/ui/route.js imported from there, as a user's install runs
// it), every answer carries the Content-Security-Policy and nosniff, extensions.json is lib's Fulcio table, and the
// page is read-only. The page itself is driven in Chromium by test/integration/web-page.spec.ts.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, sep } from 'node:path';
import { promisify } from 'node:util';
import express, { type Router } from 'express';
import { extract } from 'tar';
import { FULCIO_EXTENSIONS } from '../../../lib/fulcio-extensions.js';
import { listenHttp, type Listening } from '../../../lib/listen.js';
import { memoryLogger } from '../../../lib/log.js';
import { UI_ASSETS_DIR, UI_CONTENT_SECURITY_POLICY, uiRouter } from '../../../ui/index.js';

const ROOT = process.cwd();

async function serveRouter(router: Router): Promise<Listening> {
  const app = express();
  app.use('/p', router);
  return listenHttp('127.0.0.1', 0, app);
}

describe('ui: the web page router', function () {
  this.timeout(60_000);

  let server: Listening;
  before(async () => {
    server = await serveRouter(uiRouter());
  });
  after(async () => server.close());

  it('finds its assets from a git checkout after the build (ui/assets/ next to dist/)', () => {
    assert.equal(UI_ASSETS_DIR, join(ROOT, 'ui', 'assets') + sep);
  });

  it('serves each asset with its type, the CSP and nosniff', async () => {
    for (const [path, file, type] of [
      ['/p/ui/', 'index.html', /^text\/html/],
      ['/p/ui/app.js', 'app.js', /^text\/javascript/],
      ['/p/ui/style.css', 'style.css', /^text\/css/],
    ] as const) {
      const res = await fetch(server.url + path);
      assert.equal(res.status, 200, path);
      assert.match(res.headers.get('content-type') ?? '', type, path);
      assert.equal(res.headers.get('content-security-policy'), UI_CONTENT_SECURITY_POLICY, path);
      assert.equal(res.headers.get('x-content-type-options'), 'nosniff', path);
      assert.equal(await res.text(), readFileSync(join(UI_ASSETS_DIR, file), 'utf8'), path);
    }
  });

  it('gives the page the Fulcio extension table of lib/, not a copy', async () => {
    const res = await fetch(`${server.url}/p/ui/extensions.json`);
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('content-security-policy'), UI_CONTENT_SECURITY_POLICY);
    const body = (await res.json()) as { extensions: { oid: string; name: string; field: string }[] };
    assert.deepEqual(body.extensions, FULCIO_EXTENSIONS.map(({ oid, name, field }) => ({ oid, name, field })));
  });

  it('is read-only, answers 404 for anything else under /ui/ and redirects /ui to /ui/', async () => {
    for (const method of ['POST', 'PUT', 'DELETE']) {
      const res = await fetch(`${server.url}/p/ui/`, { method });
      assert.equal(res.status, 405, method);
      assert.equal(res.headers.get('allow'), 'GET, HEAD');
    }
    assert.equal((await fetch(`${server.url}/p/ui/../package.json`)).status, 404);
    assert.equal((await fetch(`${server.url}/p/ui/%2e%2e%2fpackage.json`)).status, 404);
    assert.equal((await fetch(`${server.url}/p/ui/index.html`)).status, 404);
    const res = await fetch(`${server.url}/p/ui?san=a`, { redirect: 'manual' });
    assert.equal(res.status, 301);
    assert.equal(new URL(res.headers.get('location')!, `${server.url}/p/ui?san=a`).href, `${server.url}/p/ui/?san=a`);
  });

  it('does not stop the log when its files are missing: a warning, and /ui/ answers 503 saying so', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'fulgor-no-assets-'));
    const logger = memoryLogger();
    const broken = await serveRouter(uiRouter({ assetsDir: dir, logger }));
    try {
      const res = await fetch(`${broken.url}/p/ui/`);
      assert.equal(res.status, 503);
      assert.match(await res.text(), /the web page's files are missing from this installation \(index\.html, app\.js, style\.css\)/);
      assert.equal(res.headers.get('content-security-policy'), UI_CONTENT_SECURITY_POLICY);
      assert.ok(logger.lines.some((l) => l.includes('the web page is not served') && l.includes(dir)), logger.lines.join('\n'));
    } finally {
      await broken.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('finds its assets in the installed package (npm pack, unpacked, imported from there)', async () => {
    // Unpacked under node_modules/ so that the package's own imports (express) resolve as they do in an install.
    const cache = join(ROOT, 'node_modules', '.cache');
    mkdirSync(cache, { recursive: true });
    const dir = mkdtempSync(join(cache, 'fulgor-pack-'));
    try {
      const { stdout } = await promisify(execFile)('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', dir], { cwd: ROOT });
      const [{ filename }] = JSON.parse(stdout) as [{ filename: string }];
      await extract({ file: join(dir, filename), cwd: dir });
      const installed = (await import(join(dir, 'package', 'dist', 'ui', 'route.js'))) as typeof import('../../../ui/route.js');
      assert.equal(installed.UI_ASSETS_DIR, join(dir, 'package', 'ui', 'assets') + sep);
      const packed = await serveRouter(installed.uiRouter());
      try {
        const res = await fetch(`${packed.url}/p/ui/app.js`);
        assert.equal(res.status, 200);
        assert.equal(await res.text(), readFileSync(join(UI_ASSETS_DIR, 'app.js'), 'utf8'));
      } finally {
        await packed.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
