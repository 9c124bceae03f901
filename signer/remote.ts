// Remote signers (a cloud KMS, Vault Transit, a signing service): the interface an operator implements to keep a key
// outside this process. Fulgor ships none yet; a backend is added by passing it to openSigner({ backends: [...] }),
// and key references of its scheme (`awskms:...`, `vault:...`) are then handed to it whole.
//
// What a backend must do:
//   - open(uri, options): parse its own URI strictly (errors are KeyError, naming what is wrong, never a credential),
//     fetch the public key once and return a ClosableSigner whose
//       spki                 is the key's DER SubjectPublicKeyInfo (KMS GetPublicKey returns exactly this);
//       algorithmIdentifier  comes from schemeForSpki(spki) (the curve's own hash for ECDSA, SHA-256 for RSA);
//       sign(data)           hashes `data` locally with schemeForSpki(spki).hash, sends only the digest
//                            (KMS Sign with MessageType DIGEST; Vault transit/sign with prehashed=true and
//                            marshaling_algorithm=asn1) and returns the signature as DER for ECDSA, raw bytes for RSA;
//                            rawEcdsaToDer converts a P1363 r||s answer;
//       description          says where the key is (`AWS KMS key arn:...`), safe to log;
//       close()              releases clients and waits for signatures in flight.
//   - sign is called concurrently (the CA signs for concurrent requests): keep it non-blocking and bounded (a pool or
//     a queue), with a timeout that rejects rather than hangs.
// Credentials come from the environment or files, like FULGOR_PKCS11_PIN, never from the URI or the command line.
import type { ClosableSigner } from './closable.js';
import type { SecretOptions } from './secrets.js';

export interface SignerBackend {
  /** The URI scheme it serves, without the colon (`awskms`). `file` and `pkcs11` are built in and cannot be replaced. */
  readonly scheme: string;
  open(uri: string, options: SecretOptions): Promise<ClosableSigner>;
}
