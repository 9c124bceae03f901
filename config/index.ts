// config/: data. Reads and validates files into typed, immutable structures: Fulcio's identity file (JSON or YAML,
// with the one table of its keys, Fulgor's issuance policies and ci-provider metadata kept as template text, and
// the keys nothing reads) and the keys directory. It knows no identity logic: what the settings mean (issuer types,
// claim paths, SPIFFE and subject-domain rules, templates, routing) is oidc's (oidc/identity-compile.ts).
// May import: lib/ only (checked: config-imports-no-domain-folder).
export * from './ci-metadata.js';
export * from './identity.js';
export { keyName, type IssuerContext, type IssuerField } from './identity-issuer.js';
export * from './keys.js';
export * from './keys-dir.js';
export * from './policy.js';
export * from './rate-limit.js';
export { problemLines, unknownKeys, unknownKeysInText } from './unknown-keys.js';
export { parseYamlConfig } from './yaml-alias-keys.js';
