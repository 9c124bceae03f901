// signer/: every private key the services hold, behind lib/signer.ts's Signer; one file per backend.
// A key is named by a reference (key-uri.ts): a file path or file:PATH (file-key.ts: PKCS#8 PEM, plain or encrypted),
// or an RFC 7512 pkcs11: URI (pkcs11-*.ts, through pkcs11js). openSigner is the one way in; remote signers (KMS,
// Vault Transit) plug in as a SignerBackend (remote.ts says how). Imports lib/ only.
import type { ClosableSigner } from './closable.js';
import { KeyError } from './errors.js';
import { openFileSigner } from './file-key.js';
import { parseKeyUri, redactKeyUri } from './key-uri.js';
import { openPkcs11Signer, type Pkcs11Options } from './pkcs11-signer.js';
import type { SignerBackend } from './remote.js';

export { KEY_ALGORITHMS, generateSoftwareKey, parseKeyAlgorithm, type KeyAlgorithm } from './algorithm.js';
export type { ClosableSigner } from './closable.js';
export { KeyError } from './errors.js';
export { openFileSigner, readPrivateKeyFile } from './file-key.js';
export { privateKeyPem, writePrivateKeyFile } from './file-key-writer.js';
export { keyFilePermissionProblem } from './key-permissions.js';
export { formatPkcs11Uri, parseKeyUri, redactKeyUri, type FileKeyRef, type KeyRef, type Pkcs11KeyRef } from './key-uri.js';
export { generatePkcs11KeyPair, type GeneratedTokenKey } from './pkcs11-keygen.js';
export { openPkcs11Signer } from './pkcs11-signer.js';
export type { SignerBackend } from './remote.js';
export { PASSPHRASE_ENV, PKCS11_MODULE_ENV, PKCS11_PIN_ENV, keyPassphrase, readSecretFile, type SecretOptions } from './secrets.js';
export { rawEcdsaToDer, schemeForSpki } from './spki.js';

export interface OpenSignerOptions extends Pkcs11Options {
  /** Extra backends for other URI schemes (remote signers). */
  readonly backends?: readonly SignerBackend[];
}

/** Opens the key a reference names. Errors are KeyError with a message fit for the operator. */
export async function openSigner(uri: string, options: OpenSignerOptions = {}): Promise<ClosableSigner> {
  const scheme = /^([A-Za-z][A-Za-z0-9+.-]*):/.exec(uri)?.[1]?.toLowerCase();
  const backend = scheme && scheme !== 'file' && scheme !== 'pkcs11' ? options.backends?.find((b) => b.scheme === scheme) : undefined;
  if (backend) {
    try {
      return await backend.open(uri, options);
    } catch (e) {
      if (e instanceof KeyError) throw e;
      throw new KeyError(`${redactKeyUri(uri)}: ${e instanceof Error ? e.message : String(e)}`);
    }
  }
  const ref = parseKeyUri(uri);
  return ref.kind === 'file' ? openFileSigner(ref.path, options) : openPkcs11Signer(ref, options);
}
