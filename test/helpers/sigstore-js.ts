// What the sigstore-js conformance specs share: how a bundle is signed through Fulgor (@sigstore/sign: ephemeral key,
// certificate from the CA, RFC 3161 timestamp from a TSA, no Rekor) and verified (@sigstore/verify with the embedded
// SCT and the timestamp required, no tlog).
import { bundleFromJSON, bundleToJSON, type Bundle } from '@sigstore/bundle';
import { TrustedRoot } from '@sigstore/protobuf-specs';
import { FulcioSigner, MessageSignatureBundleBuilder, TSAWitness } from '@sigstore/sign';
import { toTrustMaterial, Verifier } from '@sigstore/verify';

export const VERIFY_OPTIONS = { ctlogThreshold: 1, tlogThreshold: 0, timestampThreshold: 1 } as const;

/** sigstore-js matches the SAN as an unanchored regex: anchor and escape it. */
export const exactly = (s: string) => `^${s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`;

/** Round-trips the bundle through its JSON form, as a verifier reading a .sigstore.json file would get it. */
export const viaJson = (bundle: Bundle): Bundle => bundleFromJSON(JSON.parse(JSON.stringify(bundleToJSON(bundle))));

/** A verifier trusting `root` (a trusted_root.json document). */
export const verifierFor = (root: unknown) => new Verifier(toTrustMaterial(TrustedRoot.fromJSON(root)), VERIFY_OPTIONS);

/** A message-signature bundle: certificate from the CA at `caUrl`, timestamp from the TSA under `tsaUrl` (base URL). */
export async function signBlobThrough(token: string, blob: Buffer, caUrl: string, tsaUrl: string = caUrl): Promise<Bundle> {
  const builder = new MessageSignatureBundleBuilder({
    signer: new FulcioSigner({ fulcioBaseURL: caUrl, identityProvider: { getToken: async () => token } }),
    witnesses: [new TSAWitness({ tsaBaseURL: tsaUrl })],
  });
  return viaJson(await builder.create({ data: blob }));
}
