// sigstore policy-controller TrustRoot objects (policy.sigstore.dev/v1alpha1): one in `repository` mode (the
// offline TUF repository: its root.json and a tar.gz of the whole repository as mirrorFS, no network needed) and one
// in `sigstoreKeys` mode (the keys inline; certChain and publicKey are base64 of PEM, hash algorithm `sha-256`).
// A ClusterImagePolicy refers to either by name in `trustRootRef`.
import { stringify } from 'yaml';
import { caChains, chainPem, ctLogKeyPem, tsaChainPem } from './pem-material.js';
import { subjectOf, type TrustedRootInput } from './trusted-root.js';

export interface PolicyControllerInput {
  readonly material: TrustedRootInput;
  /** The TUF repository's current root.json. */
  readonly tufRoot: Buffer;
  /** The TUF repository as tar.gz, under `repository/`. */
  readonly tufArchive: Buffer;
  readonly name: string;
}

const b64 = (s: string | Buffer) => Buffer.from(s).toString('base64');

export function policyControllerTrustRoots(input: PolicyControllerInput): string {
  const m = input.material;
  const tsaPem = tsaChainPem(m);
  const repository = {
    apiVersion: 'policy.sigstore.dev/v1alpha1',
    kind: 'TrustRoot',
    metadata: { name: input.name },
    spec: { repository: { root: b64(input.tufRoot), mirrorFS: b64(input.tufArchive), targets: 'targets' } },
  };
  const keys = {
    apiVersion: 'policy.sigstore.dev/v1alpha1',
    kind: 'TrustRoot',
    metadata: { name: `${input.name}-keys` },
    spec: {
      sigstoreKeys: {
        // The active CA, then the retired ones: certificates they issued must still verify.
        certificateAuthorities: caChains(m).map((chain) => ({ subject: subjectOf(chain[chain.length - 1] as Buffer), uri: m.caUrl, certChain: b64(chainPem(chain)) })),
        ctLogs: [{ baseURL: m.ctLogUrl, hashAlgorithm: 'sha-256', publicKey: b64(ctLogKeyPem(m)) }],
        ...(m.timestampAuthority && tsaPem
          ? {
              timestampAuthorities: [
                { subject: subjectOf(m.timestampAuthority.chain[0] as Buffer), uri: m.timestampAuthority.url, certChain: b64(tsaPem) },
              ],
            }
          : {}),
      },
    },
  };
  return [repository, keys].map((doc) => stringify(doc, { lineWidth: 0 })).join('---\n');
}
