// Opening the timestamp authority's key (tsa.key.pem, tsa.key.uri or --tsa-key, through signer/ as the CA and CT
// log keys are: file, encrypted file, PKCS#11) and checking it against tsa.pem before anything is served: the key
// belongs to the TSA certificate, whose one extended key usage is a critical timeStamping (tsa/ checks both), the
// certificate is valid now, and each certificate of tsa.pem is signed by the next one (the last by the root).
// Refusals are KeyErrors naming the file (the CLI exits 2). Used by `fulgor serve` and `fulgor tsa serve`.
import { X509Certificate } from 'node:crypto';
import { join } from 'node:path';
import { KEY_FILES, type TsaKeys } from '../config/keys-dir.js';
import type { Clock } from '../lib/clock.js';
import { KeyError, type ClosableSigner } from '../signer/index.js';
import { createTimestampAuthority, type TimestampAuthority } from '../tsa/index.js';
import { closeAll, openKey, type KeyOpening } from './open-keys.js';

export interface OpenedTsa {
  readonly tsa: TimestampAuthority;
  /** Closed by the caller when the service stops. */
  readonly signer: ClosableSigner;
}

/** Why tsa.pem cannot serve at `now`: an expired or not yet valid TSA certificate, or a broken link; undefined when fine. */
function chainProblem(keys: TsaKeys, now: Date): string | undefined {
  const certs = [...keys.chain, ...(keys.root ? [keys.root] : [])].map((der) => new X509Certificate(der));
  const leaf = certs[0]!;
  if (now < new Date(leaf.validFrom)) return `the TSA certificate is not valid before ${new Date(leaf.validFrom).toISOString()}`;
  if (now > new Date(leaf.validTo)) return `the TSA certificate expired at ${new Date(leaf.validTo).toISOString()}`;
  for (let i = 0; i + 1 < certs.length; i++) {
    const [child, parent] = [certs[i]!, certs[i + 1]!];
    if (child.checkIssued(child) && child.verify(child.publicKey)) return i + 1 < keys.chain.length ? `certificate ${i + 1} is self-signed but more follow` : undefined;
    if (!child.checkIssued(parent) || !child.verify(parent.publicKey))
      return `certificate ${i + 1} (${child.subject.replace(/\n/g, ', ')}) is not signed by ${i + 1 < keys.chain.length ? `certificate ${i + 2}` : KEY_FILES.rootCert} (${parent.subject.replace(/\n/g, ', ')})`;
  }
  return undefined;
}

/** Opens the TSA key and builds the timestamp authority over tsa.pem; the key is closed again if a check fails. */
export async function openTimestampAuthority(
  keysDir: string,
  keys: TsaKeys,
  o: KeyOpening & { readonly clock: Clock; readonly policy?: string },
): Promise<OpenedTsa> {
  const certFile = join(keysDir, KEY_FILES.tsaCert);
  const problem = chainProblem(keys, o.clock());
  if (problem) throw new KeyError(`${certFile}: ${problem}`);
  const signer = await openKey(keys.key, 'timestamp authority', o);
  try {
    const tsa = createTimestampAuthority({
      signer,
      chain: keys.chain,
      ...(keys.root ? { root: keys.root } : {}),
      clock: o.clock,
      ...(o.policy ? { policy: o.policy } : {}),
    });
    return { tsa, signer };
  } catch (e) {
    await closeAll([signer]);
    throw new KeyError(`${certFile} (key: ${signer.description}): ${e instanceof Error ? e.message : String(e)}`, { cause: e });
  }
}
