// The keys directory: CA chain and key, CT log key, timestamp authority chain and key, development OIDC key. This file
// only reads (and checks) it; development keys are created by ca/dev-keys.ts (`fulgor keys init`, `serve --dev`) and are never committed.
import { createPrivateKey, createPublicKey, X509Certificate, type KeyObject } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parsePemBlocks, toPem } from '../lib/pem.js';

export const KEY_FILES = {
  rootCert: 'root-ca.pem',
  rootKey: 'root-ca.key.pem',
  caCert: 'intermediate-ca.pem',
  caKey: 'intermediate-ca.key.pem',
  ctKey: 'ctlog.key.pem',
  ctPub: 'ctlog.pub.pem',
  devOidcKey: 'dev-oidc.key.pem',
  /** The TSA certificate first, then its chain up to but excluding the root (the layout of intermediate-ca.pem). */
  tsaCert: 'tsa.pem',
  tsaKey: 'tsa.key.pem',
} as const;

export interface TsaKeys {
  /** DER: the TSA certificate, then the intermediates above it (not the root). */
  readonly chain: Buffer[];
  readonly key: KeyObject;
  /** The keys directory's root-ca.pem, when there is one. */
  readonly root?: Buffer;
}

export interface KeyMaterial {
  /** [issuing intermediate, root], DER. */
  readonly caChain: Buffer[];
  readonly caKey: KeyObject;
  readonly ctKey: KeyObject;
  /** The development OIDC issuer's key, when the directory holds one. */
  readonly devOidcKey?: KeyObject;
  /** The timestamp authority's chain and key, when the directory holds them (older keys dirs do not). */
  readonly tsa?: TsaKeys;
}

function readCert(dir: string, name: string): Buffer {
  const block = parsePemBlocks(readFileSync(join(dir, name), 'utf8')).find((b) => b.label === 'CERTIFICATE');
  if (!block) throw new Error(`${join(dir, name)} holds no CERTIFICATE`);
  return block.der;
}

const readKey = (dir: string, name: string) => createPrivateKey(readFileSync(join(dir, name), 'utf8'));

export function loadKeys(dir: string): KeyMaterial {
  for (const f of [KEY_FILES.caCert, KEY_FILES.rootCert, KEY_FILES.caKey, KEY_FILES.ctKey])
    if (!existsSync(join(dir, f))) throw new Error(`missing ${join(dir, f)} (bring your CA and CT log keys there, or create development keys with "fulgor keys init")`);
  return {
    caChain: [readCert(dir, KEY_FILES.caCert), readCert(dir, KEY_FILES.rootCert)],
    caKey: readKey(dir, KEY_FILES.caKey),
    ctKey: readKey(dir, KEY_FILES.ctKey),
    ...(existsSync(join(dir, KEY_FILES.devOidcKey)) ? { devOidcKey: readKey(dir, KEY_FILES.devOidcKey) } : {}),
    ...(existsSync(join(dir, KEY_FILES.tsaCert)) || existsSync(join(dir, KEY_FILES.tsaKey)) ? { tsa: loadTsaKeys(dir) } : {}),
  };
}

/**
 * The timestamp authority's chain (D/tsa.pem), its key (D/tsa.key.pem, or `keyPath`) and the root (D/root-ca.pem)
 * if there is one. Throws, naming the file, when the chain or the key is missing.
 */
export function loadTsaKeys(dir: string, keyPath?: string): TsaKeys {
  const certPath = join(dir, KEY_FILES.tsaCert);
  const key = keyPath ?? join(dir, KEY_FILES.tsaKey);
  for (const f of [certPath, key])
    if (!existsSync(f)) throw new Error(`missing ${f} (bring the timestamp authority's certificate chain and key there, or create development keys with "fulgor keys init")`);
  const rootPath = join(dir, KEY_FILES.rootCert);
  return {
    chain: readCertificates(certPath),
    key: createPrivateKey(readFileSync(key, 'utf8')),
    ...(existsSync(rootPath) ? { root: readCert(dir, KEY_FILES.rootCert) } : {}),
  };
}

export const spkiDer = (k: KeyObject): Buffer => createPublicKey(k).export({ type: 'spki', format: 'der' });
export const spkiPem = (k: KeyObject): string => toPem(spkiDer(k), 'PUBLIC KEY');

/** What a standalone CT log needs: its key, and the CA root in the same directory if there is one. */
export function loadLogKeys(dir: string): { ctKey: KeyObject; root?: Buffer } {
  if (!existsSync(join(dir, KEY_FILES.ctKey))) throw new Error(`missing ${join(dir, KEY_FILES.ctKey)} (bring the CT log key there, or create development keys with "fulgor keys init")`);
  const ctKey = readKey(dir, KEY_FILES.ctKey);
  return existsSync(join(dir, KEY_FILES.rootCert)) ? { ctKey, root: readCert(dir, KEY_FILES.rootCert) } : { ctKey };
}

/** Every certificate in a PEM bundle file (CT log roots). */
export function readCertificates(path: string): Buffer[] {
  const certs = parsePemBlocks(readFileSync(path, 'utf8')).filter((b) => b.label === 'CERTIFICATE').map((b) => b.der);
  if (certs.length === 0) throw new Error(`${path} holds no CERTIFICATE`);
  return certs;
}

/**
 * The timestamp authority's chain [signing certificate, intermediates..., root] from tsa.pem and root-ca.pem, or
 * undefined when the directory has no tsa.pem. A tsa.pem that ends in a self-signed certificate brings its own root.
 */
export function loadTsaChain(dir: string): Buffer[] | undefined {
  const path = join(dir, KEY_FILES.tsaCert);
  if (!existsSync(path)) return undefined;
  const certs = readCertificates(path);
  const last = new X509Certificate(certs[certs.length - 1] as Buffer);
  if (last.checkIssued(last) && last.verify(last.publicKey)) return certs;
  return [...certs, readCert(dir, KEY_FILES.rootCert)];
}
