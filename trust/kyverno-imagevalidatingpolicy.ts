// A Kyverno ImageValidatingPolicy (policies.kyverno.io/v1) with one cosign keyless attestor that carries this CA's
// trusted_root.json inline (`trustedRoot.value`: CA chain, CT log, timestamp authority) and skips the Rekor check,
// as there is no Rekor.
import { stringify } from 'yaml';
import { kyvernoIdentity, type IdentityPolicy } from './identity.js';
import type { TrustedRootJson } from './trusted-root.js';

export function kyvernoImageValidatingPolicy(trustedRoot: TrustedRootJson, identity: IdentityPolicy, name: string): string {
  const policy = {
    apiVersion: 'policies.kyverno.io/v1',
    kind: 'ImageValidatingPolicy',
    metadata: { name },
    spec: {
      validationActions: ['Deny'],
      webhookConfiguration: { timeoutSeconds: 30 },
      matchConstraints: {
        resourceRules: [{ apiGroups: [''], apiVersions: ['v1'], operations: ['CREATE', 'UPDATE'], resources: ['pods'] }],
      },
      matchImageReferences: [{ glob: '*' }],
      attestors: [
        {
          name: 'fulgor',
          cosign: {
            keyless: { identities: [kyvernoIdentity(identity)] },
            ctlog: { insecureIgnoreTlog: true },
            trustedRoot: { value: JSON.stringify(trustedRoot, null, 2) + '\n' },
          },
        },
      ],
      validations: [
        {
          expression: 'images.containers.map(image, verifyImageSignatures(image, [attestors.fulgor])).all(e, e > 0)',
          message: 'the image is not signed by an identity this policy accepts, through Fulgor',
        },
      ],
    },
  };
  return stringify(policy, { lineWidth: 0 });
}
