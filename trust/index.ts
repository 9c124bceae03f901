// trust/: the trust material clients need, in every consumer's format: trusted_root.json, signing_config.json,
// client trust config, a TUF repository, Kubernetes objects and cosign's environment; and the export that writes them.
// May import: ct/ and lib/ (never server/ or cli/).
export { exportTrust, EXPORT_FILES, KUBERNETES_NAME, TUF_TARGETS, type TrustExportInput, type TrustExportResult } from './export.js';
export { trustedRoot, type TrustedRootInput, type TrustedRootJson, type TimestampAuthorityInput } from './trusted-root.js';
export { signingConfig, SIGNING_CONFIG_MEDIA_TYPE, type SigningConfigInput } from './signing-config.js';
export type { IdentityPolicy } from './identity.js';
