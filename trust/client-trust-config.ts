// A sigstore ClientTrustConfig: the trusted root and the signing config in one document (Kubewarden and other
// clients that take a single file).
import type { SigningConfigJson } from './signing-config.js';
import type { TrustedRootJson } from './trusted-root.js';

export const clientTrustConfig = (trustedRoot: TrustedRootJson, signingConfig: SigningConfigJson) => ({
  mediaType: 'application/vnd.dev.sigstore.clienttrustconfig.v0.1+json',
  trustedRoot,
  signingConfig,
});
