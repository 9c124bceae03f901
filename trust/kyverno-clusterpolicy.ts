// A Kyverno ClusterPolicy (kyverno.io/v1) whose verifyImages rule accepts images signed keylessly through this CA:
// the CA chain as `roots`, the CT log key for the embedded SCT, the TSA chain for the signed timestamp and, with no
// Rekor, `rekor.ignoreTlog: true`. All keys and chains are PEM strings.
import { stringify } from 'yaml';
import { kyvernoIdentity, type IdentityPolicy } from './identity.js';
import { caChainPem, ctLogKeyPem, tsaChainPem } from './pem-material.js';
import type { TrustedRootInput } from './trusted-root.js';

export function kyvernoClusterPolicy(material: TrustedRootInput, identity: IdentityPolicy, name: string): string {
  const tsaPem = tsaChainPem(material);
  const policy = {
    apiVersion: 'kyverno.io/v1',
    kind: 'ClusterPolicy',
    metadata: { name },
    spec: {
      webhookTimeoutSeconds: 30,
      rules: [
        {
          name: 'fulgor-keyless-signature',
          match: { any: [{ resources: { kinds: ['Pod'] } }] },
          verifyImages: [
            {
              imageReferences: ['*'],
              failureAction: 'Enforce',
              attestors: [
                {
                  count: 1,
                  entries: [
                    {
                      keyless: {
                        ...kyvernoIdentity(identity),
                        roots: caChainPem(material),
                        rekor: { ignoreTlog: true },
                        ctlog: { pubkey: ctLogKeyPem(material), ...(tsaPem ? { tsaCertChain: tsaPem } : {}) },
                      },
                    },
                  ],
                },
              ],
            },
          ],
        },
      ],
    },
  };
  return stringify(policy, { lineWidth: 0 });
}
