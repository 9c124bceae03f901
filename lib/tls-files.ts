// A listener's TLS certificate and key, read from files (--tls-cert-file / --tls-key-file): the certificate file holds
// the server certificate first, then any intermediates; the key file its PEM private key. Both are checked before
// they are used, so that a bad pair (unreadable, not PEM, a key of another certificate) is refused with a message
// naming the files, at start and at a reload alike.
import { createPrivateKey, X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createSecureContext } from 'node:tls';

export interface TlsFiles {
  readonly certFile: string;
  readonly keyFile: string;
}

export interface TlsMaterial {
  readonly cert: string;
  readonly key: string;
  /** The served (first) certificate, DER. */
  readonly leaf: Buffer;
}

const reason = (e: unknown): string => (e instanceof Error ? e.message : String(e));

/** Reads and checks a certificate and key pair; throws an Error naming the file and the problem. */
export function readTlsFiles(files: TlsFiles): TlsMaterial {
  const read = (path: string): string => {
    try {
      return readFileSync(path, 'utf8');
    } catch (e) {
      throw new Error(`TLS file ${path}: ${reason(e)}`, { cause: e });
    }
  };
  const cert = read(files.certFile);
  const key = read(files.keyFile);
  let leaf: X509Certificate;
  try {
    leaf = new X509Certificate(cert);
  } catch (e) {
    throw new Error(`TLS certificate ${files.certFile} is not a PEM certificate: ${reason(e)}`, { cause: e });
  }
  let privateKey;
  try {
    privateKey = createPrivateKey(key);
  } catch (e) {
    throw new Error(`TLS key ${files.keyFile} is not a PEM private key: ${reason(e)}`, { cause: e });
  }
  if (!leaf.checkPrivateKey(privateKey))
    throw new Error(`TLS key ${files.keyFile} is not the key of the certificate in ${files.certFile} (${leaf.subject.replace(/\n/g, ', ')})`);
  try {
    createSecureContext({ cert, key });
  } catch (e) {
    throw new Error(`TLS pair ${files.certFile} / ${files.keyFile} is refused by OpenSSL: ${reason(e)}`, { cause: e });
  }
  return { cert, key, leaf: leaf.raw };
}
