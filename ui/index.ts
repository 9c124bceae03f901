// ui/: the log's read-only web page at `<prefix>/ui/`: static assets (ui/assets/: HTML, CSS and one vanilla ES
// module, shipped as they are, no build step) and the express router that serves them with a strict
// Content-Security-Policy, plus the Fulcio extension table as JSON. The page itself talks to the log's own endpoints
// (search, get-sth, get-entries) and verifies inclusion proofs in the browser.
// May import: lib/ only (checked: ui-imports-lib-only); mounted by server/ on the log's HTTP server.
export { uiRouter, UI_ASSETS_DIR, UI_PATH, UI_CONTENT_SECURITY_POLICY } from './route.js';
export type { UiRouterOptions } from './route.js';
