// The PEM forms of the trust material, shared by the files that carry PEM (cosign's environment, Kyverno) or
// base64 of PEM (policy-controller's sigstoreKeys).
import { certToPem, toPem } from '../lib/pem.js';
import type { TrustedRootInput } from './trusted-root.js';

/** Every chain verifiers need: the active CA's, then each retired CA's (signatures they made must still verify). */
export const caChains = (m: TrustedRootInput): (readonly Buffer[])[] => [m.caChain, ...(m.retiredCas ?? []).map((r) => r.chain)];

/** Every CA certificate of caChains, each once, as one PEM bundle (cosign's SIGSTORE_ROOT_FILE, Kyverno's roots). */
export const caChainPem = (m: TrustedRootInput) => {
  const seen: Buffer[] = [];
  for (const c of caChains(m).flat()) if (!seen.some((s) => s.equals(c))) seen.push(c);
  return seen.map((c) => certToPem(c)).join('');
};
export const chainPem = (chain: readonly Buffer[]) => chain.map((c) => certToPem(c)).join('');
export const ctLogKeyPem = (m: TrustedRootInput) => toPem(m.ctLogSpki, 'PUBLIC KEY');
export const tsaChainPem = (m: TrustedRootInput) => (m.timestampAuthority ? chainPem(m.timestampAuthority.chain) : undefined);
