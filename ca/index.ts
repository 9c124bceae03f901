// ca/: issuance. From a Principal (oidc's types) and a checked client key: the leaf profile, the SAN and Fulcio's
// extensions in DER (from lib/'s extension table), the precertificate with its poison and the final certificate
// with the SCT list (same TBS bytes but that one extension), issuing-CA chains, client keys, CSRs and the proof of
// possession; the production CA profiles (root, issuing CA), the issuing key's CSR and the check of an imported chain.
// May import: oidc/ types (Principal), lib/ (checked: ca-imports-neither-express-nor-ct; never ct/, server/, decision/).
export * from './authority.js';
export * from './ca-csr.js';
export * from './ca-profile.js';
export * from './chain-check.js';
export * from './client-key.js';
export * from './csr.js';
export * from './extensions.js';
export * from './issuing-ca.js';
export * from './leaf-identity.js';
export * from './proof-of-possession.js';
