// The trust folder's public surface: the formats `fulgor trust export` writes, and the export itself.
export { exportTrust, EXPORT_FILES, KUBERNETES_NAME, TUF_TARGETS, type TrustExportInput, type TrustExportResult } from './export.js';
export { trustedRoot, type TrustedRootInput, type TrustedRootJson, type TimestampAuthorityInput } from './trusted-root.js';
export { signingConfig, SIGNING_CONFIG_MEDIA_TYPE, type SigningConfigInput } from './signing-config.js';
export type { IdentityPolicy } from './identity.js';
