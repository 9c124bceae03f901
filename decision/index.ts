// decision/: the one decision function issuance and explain share (decide.ts): claims and their issuer -> principal
// -> policy verdicts -> the SAN and Fulcio extensions the certificate carries, described and encoded; and explain
// (explain.ts, explain-text.ts), which reports that decision, so it cannot disagree with what is issued.
// May import: oidc/, ca/, config/, lib/ (checked: decision-imports-no-server-cli; oidc/ and ca/ never import it).
export * from './decide.js';
export * from './explain.js';
export * from './explain-text.js';
