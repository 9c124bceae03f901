// server/: the CA's HTTP layer. Fulcio's v1/v2 routes and request parsing, the error table, the explain route, the
// identity config in force and its reload, request ids, metrics, the audit log, and the composition root (serve.ts) that wires oidc/, ca/, ct/
// and decision/ into one process. Thin: decisions are decision/'s, issuance is ca/'s.
// May import: decision/, oidc/, ca/, ct/, trust/, config/, lib/. Imported only by bin/ and cli/ (checked:
// only-bin-and-cli-import-server-and-cli; server-imports-no-cli).
export { serve, type RunningFulgor, type ServeOptions } from './serve.js';
