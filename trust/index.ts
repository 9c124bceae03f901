// trust/: the trust material clients need, in Sigstore's formats: trusted_root.json (CA chain, CT log key) and
// signing_config.json.
// May import: ct/, lib/ (never server/ or cli/).
export * from './signing-config.js';
export * from './trusted-root.js';
