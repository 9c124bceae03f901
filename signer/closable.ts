// The Signer every backend returns: lib/signer.ts's Signer, plus what it is (for logs) and a way to let go of it.
import type { Signer } from '../lib/signer.js';

export interface ClosableSigner extends Signer {
  /** Where the key lives, safe to log (never a PIN or passphrase): `key file /x`, `PKCS#11 token "t" object "o"`. */
  readonly description: string;
  /** Releases sessions and modules; waits for signatures in flight. Idempotent. */
  close(): Promise<void>;
}
