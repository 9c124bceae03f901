// The PEM forms of the trust material, shared by the files that carry PEM (cosign's environment, Kyverno) or
// base64 of PEM (policy-controller's sigstoreKeys).
import { certToPem, toPem } from '../lib/pem.js';
import type { TrustedRootInput } from './trusted-root.js';

export const caChainPem = (m: TrustedRootInput) => m.caChain.map((c) => certToPem(c)).join('');
export const ctLogKeyPem = (m: TrustedRootInput) => toPem(m.ctLogSpki, 'PUBLIC KEY');
export const tsaChainPem = (m: TrustedRootInput) => m.timestampAuthority?.chain.map((c) => certToPem(c)).join('');
