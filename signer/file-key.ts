// The file backend: a PKCS#8 PEM private key, plain ("PRIVATE KEY") or encrypted ("ENCRYPTED PRIVATE KEY", PBES2),
// read into a node:crypto KeyObject and signed with in process. Every failure names the file and says what is wrong
// (missing or wrong passphrase, not a private key, corrupt, unsupported type) instead of OpenSSL's error codes.
import { createPrivateKey, type KeyObject } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { children, decodeOid, parse, Tag } from '../lib/der.js';
import { parsePemBlocks } from '../lib/pem.js';
import { keySigner, schemeFor } from '../lib/signer.js';
import { KeyError } from './errors.js';
import type { ClosableSigner } from './closable.js';
import { keyPassphrase, PASSPHRASE_ENV, type SecretOptions } from './secrets.js';

const PRIVATE_LABELS = new Set(['PRIVATE KEY', 'ENCRYPTED PRIVATE KEY', 'EC PRIVATE KEY', 'RSA PRIVATE KEY']);
const KEY_ALGORITHM_NAMES: Record<string, string> = {
  '1.2.840.10045.2.1': 'EC',
  '1.2.840.113549.1.1.1': 'RSA',
  '1.2.840.113549.1.1.10': 'RSA-PSS',
  '1.3.101.112': 'Ed25519',
  '1.3.101.113': 'Ed448',
  '1.3.101.110': 'X25519',
  '1.3.101.111': 'X448',
  '1.2.840.10040.4.1': 'DSA',
  '1.2.840.10046.2.1': 'DH',
};
const SUPPORTED = 'ECDSA P-256/P-384/P-521, RSA or Ed25519';

/** Reads and checks a private key file; the key must be one Fulgor can sign with. */
export async function readPrivateKeyFile(path: string, secrets: SecretOptions = {}): Promise<KeyObject> {
  const where = `key file ${path}`;
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new KeyError(`${where} does not exist`);
    if (code === 'EACCES') throw new KeyError(`${where} is not readable (permission denied)`);
    if (code === 'EISDIR') throw new KeyError(`${where} is a directory, not a key file`);
    throw new KeyError(`${where} cannot be read (${code ?? String(e)})`);
  }
  const labels = [...text.matchAll(/-----BEGIN ([A-Z0-9 ]+)-----/g)].map((m) => m[1]!);
  const keyLabels = labels.filter((l) => PRIVATE_LABELS.has(l));
  if (keyLabels.length === 0) {
    const held = labels.length ? `holds ${[...new Set(labels)].join(', ')}, not a private key` : 'is not a PEM private key';
    throw new KeyError(`${where} ${held} (expected -----BEGIN PRIVATE KEY----- or -----BEGIN ENCRYPTED PRIVATE KEY-----)`);
  }
  if (keyLabels.length > 1) throw new KeyError(`${where} holds ${keyLabels.length} private keys; keep one key per file`);
  const label = keyLabels[0]!;
  if (/Proc-Type:\s*4,ENCRYPTED/.test(text))
    throw new KeyError(
      `${where} uses legacy OpenSSL PEM encryption; convert it to encrypted PKCS#8 (openssl pkcs8 -topk8 -v2 aes-256-cbc)`,
    );
  let der: Buffer;
  try {
    const block = parsePemBlocks(text).find((b) => b.label === label);
    if (!block) throw new Error('unterminated PEM block');
    der = block.der;
  } catch (e) {
    throw new KeyError(`${where}: the ${label} block is corrupt (${e instanceof Error ? e.message : String(e)})`);
  }

  let key: KeyObject;
  if (label === 'ENCRYPTED PRIVATE KEY') {
    if (!isDerSequence(der, 2)) throw new KeyError(`${where}: the ENCRYPTED PRIVATE KEY block is corrupt (not an EncryptedPrivateKeyInfo)`);
    const passphrase = await keyPassphrase(secrets);
    if (!passphrase)
      throw new KeyError(`${where} is encrypted and no passphrase was given (use --key-passphrase-file FILE or ${PASSPHRASE_ENV})`);
    try {
      key = createPrivateKey({ key: der, format: 'der', type: 'pkcs8', passphrase: passphrase.value });
    } catch {
      // The structure was checked above, so a failure here is the decryption: usually OpenSSL's bad-decrypt, but about
      // one wrong passphrase in 256 passes the CBC padding check and fails later in the decoder ("wrong tag").
      throw new KeyError(`${where}: wrong passphrase (from ${passphrase.source}), or the encrypted key is corrupt`);
    }
  } else {
    const algorithm = label === 'PRIVATE KEY' ? pkcs8Algorithm(der) : label === 'EC PRIVATE KEY' ? 'EC' : 'RSA';
    if (algorithm === undefined) throw new KeyError(`${where}: the PRIVATE KEY block is corrupt (not a PKCS#8 PrivateKeyInfo)`);
    try {
      key = createPrivateKey({ key: der, format: 'der', type: label === 'PRIVATE KEY' ? 'pkcs8' : label === 'EC PRIVATE KEY' ? 'sec1' : 'pkcs1' });
    } catch (e) {
      const name = KEY_ALGORITHM_NAMES[algorithm] ?? (/^[A-Z]/.test(algorithm) ? algorithm : undefined);
      throw new KeyError(
        name
          ? `${where}: the ${name} private key is corrupt (${describeOpenSsl(e)})`
          : `${where}: unsupported key type (algorithm ${algorithm}); use ${SUPPORTED}`,
      );
    }
  }
  try {
    schemeFor(key);
  } catch {
    const detail = key.asymmetricKeyType === 'ec' ? `EC curve ${key.asymmetricKeyDetails?.namedCurve}` : key.asymmetricKeyType;
    throw new KeyError(`${where}: unsupported key type ${detail}; use ${SUPPORTED}`);
  }
  return key;
}

export async function openFileSigner(path: string, secrets: SecretOptions = {}): Promise<ClosableSigner> {
  const signer = keySigner(await readPrivateKeyFile(path, secrets));
  return { ...signer, description: `key file ${path}`, close: async () => {} };
}

/** The algorithm OID of a PKCS#8 PrivateKeyInfo, or undefined when the structure is not one. */
function pkcs8Algorithm(der: Buffer): string | undefined {
  try {
    const [version, algorithm, privateKey] = children(parse(der));
    if (version?.tag !== Tag.INTEGER || algorithm?.tag !== Tag.SEQUENCE || privateKey?.tag !== Tag.OCTET_STRING) return undefined;
    const oid = children(algorithm)[0];
    return oid?.tag === Tag.OID ? decodeOid(oid.content) : undefined;
  } catch {
    return undefined;
  }
}

function isDerSequence(der: Buffer, minChildren: number): boolean {
  try {
    return children(parse(der)).length >= minChildren;
  } catch {
    return false;
  }
}

const describeOpenSsl = (e: unknown): string => {
  const message = e instanceof Error ? e.message : String(e);
  return message.replace(/^error:[0-9A-F]+:/, '').replace(/^[^:]*routines::/, '') || message;
};
