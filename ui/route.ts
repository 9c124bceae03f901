// The web page's routes: `/ui/` (index.html), its script and stylesheet, and `/ui/extensions.json` (lib's
// FULCIO_EXTENSIONS, so the page names extensions from the one table the CA encodes them with). Mounted under the
// log's prefix; every answer carries a strict Content-Security-Policy (scripts only from the page's own origin, no
// inline script or style, no framing) and X-Content-Type-Options: nosniff. Read-only: GET and HEAD only.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import express, { type NextFunction, type Request, type Response, type Router } from 'express';
import { FULCIO_EXTENSIONS } from '../lib/fulcio-extensions.js';
import { silentLogger, type Logger } from '../lib/log.js';

export const UI_PATH = '/ui';

/**
 * The assets ship as source files at the package root (ui/assets/), next to dist/: this module runs as
 * dist/ui/route.js, in a git checkout after `npm run build` and in an installed package alike.
 */
export const UI_ASSETS_DIR = fileURLToPath(new URL('../../ui/assets/', import.meta.url));

const ASSETS: Readonly<Record<string, { file: string; type: string }>> = {
  '/': { file: 'index.html', type: 'text/html; charset=utf-8' },
  '/app.js': { file: 'app.js', type: 'text/javascript; charset=utf-8' },
  '/style.css': { file: 'style.css', type: 'text/css; charset=utf-8' },
};

export const UI_CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "connect-src 'self'",
  "img-src 'self'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

function securityHeaders(_req: Request, res: Response, next: NextFunction): void {
  res.setHeader('Content-Security-Policy', UI_CONTENT_SECURITY_POLICY);
  res.setHeader('X-Content-Type-Options', 'nosniff');
  res.setHeader('Referrer-Policy', 'no-referrer');
  res.setHeader('X-Frame-Options', 'DENY');
  next();
}

const EXTENSIONS_JSON = JSON.stringify({
  extensions: FULCIO_EXTENSIONS.map(({ oid, name, field }) => ({ oid, name, field })),
});

export interface UiRouterOptions {
  /** Where index.html, app.js and style.css are (default UI_ASSETS_DIR). */
  readonly assetsDir?: string;
  readonly logger?: Logger;
}

/**
 * The page's router, to mount at the log's prefix (it answers under `/ui`). Missing asset files do not stop the log:
 * they are logged as a warning and `/ui/` answers 503 saying so.
 */
export function uiRouter(options: UiRouterOptions = {}): Router {
  const dir = options.assetsDir ?? UI_ASSETS_DIR;
  const missing = Object.values(ASSETS).map(({ file }) => file).filter((file) => !existsSync(join(dir, file)));
  if (missing.length > 0)
    (options.logger ?? silentLogger).log('warn', 'the web page is not served: its files are missing', { dir, missing: missing.join(', ') });
  const page = express.Router({ strict: true });
  page.use(securityHeaders);
  if (missing.length > 0) page.use((_req, res) => void res.status(503).type('text/plain').send(`the web page's files are missing from this installation (${missing.join(', ')})\n`));
  for (const [path, { file, type }] of Object.entries(ASSETS)) {
    page.get(path, (_req, res, next) => {
      res.sendFile(file, { root: dir, headers: { 'Content-Type': type, 'Cache-Control': 'no-cache' }, dotfiles: 'deny' }, (err) => {
        if (err) next(err);
      });
    });
  }
  page.get('/extensions.json', (_req, res) => {
    res.setHeader('Cache-Control', 'no-cache');
    res.type('application/json').send(EXTENSIONS_JSON);
  });
  page.all(/.*/, (req, res) => {
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.setHeader('Allow', 'GET, HEAD');
      res.status(405).type('text/plain').send('method not allowed\n');
    } else res.status(404).type('text/plain').send('not found\n');
  });

  const router = express.Router({ strict: true });
  // `/ui` without its slash: relative links in the page need the directory form.
  router.get(UI_PATH, (req, res) => {
    const query = req.originalUrl.includes('?') ? req.originalUrl.slice(req.originalUrl.indexOf('?')) : '';
    res.redirect(301, `ui/${query}`);
  });
  router.use(UI_PATH, page);
  return router;
}
