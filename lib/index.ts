// lib/: small shared pieces every layer may use: strict DER and X.509 reading, PEM and base64, the table of
// Fulcio's certificate extensions (OIDs, names, encodings, fields), reason-coded errors, the injected clock and
// signer, the logger, a bounded HTTP client, JSON bodies, listeners and their request metrics, group commit and a
// token bucket.
// May import: node and npm packages only; nothing of ours above lib/ (checked: lib-imports-nothing-above-it).
export * from './base64.js';
export * from './batcher.js';
export * from './clock.js';
export * from './der.js';
export * from './errors.js';
export * from './fulcio-extensions.js';
export * from './http-client.js';
export * from './http-metrics.js';
export * from './json-body.js';
export * from './listen.js';
export * from './log.js';
export * from './pem.js';
export * from './signer.js';
export * from './token-bucket.js';
export * from './x509.js';
