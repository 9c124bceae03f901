// The keys directory: CA chain and key, CT log key, development OIDC key. In development the files are created on
// first run and reused afterwards; they are never committed.
import { createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createDevCa } from '../ca/dev-ca.js';
import { certToPem, parsePemBlocks, toPem } from '../lib/pem.js';

export const KEY_FILES = {
  rootCert: 'root-ca.pem',
  rootKey: 'root-ca.key.pem',
  caCert: 'intermediate-ca.pem',
  caKey: 'intermediate-ca.key.pem',
  ctKey: 'ctlog.key.pem',
  ctPub: 'ctlog.pub.pem',
  devOidcKey: 'dev-oidc.key.pem',
} as const;

export interface KeyMaterial {
  /** [issuing intermediate, root], DER. */
  readonly caChain: Buffer[];
  readonly caKey: KeyObject;
  readonly ctKey: KeyObject;
  readonly devOidcKey: KeyObject;
  /** Files this call created (empty when everything was already there). */
  readonly created: string[];
}

const pkcs8 = (k: KeyObject) => k.export({ type: 'pkcs8', format: 'pem' }) as string;

function writeNew(dir: string, name: string, content: string, created: string[]): void {
  // 'wx' never overwrites: a concurrent first start keeps whichever file landed first.
  try {
    writeFileSync(join(dir, name), content, { flag: 'wx', mode: name.includes('.key.') ? 0o600 : 0o644 });
    created.push(name);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
  }
}

async function createMissing(dir: string): Promise<string[]> {
  mkdirSync(dir, { recursive: true });
  const created: string[] = [];
  const has = (f: string) => existsSync(join(dir, f));
  if (!has(KEY_FILES.caCert) || !has(KEY_FILES.caKey) || !has(KEY_FILES.rootCert)) {
    const ca = await createDevCa();
    writeNew(dir, KEY_FILES.rootKey, pkcs8(ca.rootKey), created);
    writeNew(dir, KEY_FILES.rootCert, certToPem(ca.root), created);
    writeNew(dir, KEY_FILES.caKey, pkcs8(ca.intermediateKey), created);
    writeNew(dir, KEY_FILES.caCert, certToPem(ca.intermediate), created);
  }
  if (!has(KEY_FILES.ctKey)) {
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
    writeNew(dir, KEY_FILES.ctKey, pkcs8(privateKey), created);
    writeNew(dir, KEY_FILES.ctPub, publicKey.export({ type: 'spki', format: 'pem' }) as string, created);
  }
  if (!has(KEY_FILES.devOidcKey)) {
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    writeNew(dir, KEY_FILES.devOidcKey, pkcs8(privateKey), created);
  }
  return created;
}

function readCert(dir: string, name: string): Buffer {
  const block = parsePemBlocks(readFileSync(join(dir, name), 'utf8')).find((b) => b.label === 'CERTIFICATE');
  if (!block) throw new Error(`${join(dir, name)} holds no CERTIFICATE`);
  return block.der;
}

const readKey = (dir: string, name: string) => createPrivateKey(readFileSync(join(dir, name), 'utf8'));

export async function loadKeys(dir: string, opts: { create: boolean }): Promise<KeyMaterial> {
  const created = opts.create ? await createMissing(dir) : [];
  for (const f of [KEY_FILES.caCert, KEY_FILES.rootCert, KEY_FILES.caKey, KEY_FILES.ctKey])
    if (!existsSync(join(dir, f))) throw new Error(`missing ${join(dir, f)} (bring your CA and CT log keys there, or create development keys with "fulgor keys init")`);
  return {
    caChain: [readCert(dir, KEY_FILES.caCert), readCert(dir, KEY_FILES.rootCert)],
    caKey: readKey(dir, KEY_FILES.caKey),
    ctKey: readKey(dir, KEY_FILES.ctKey),
    devOidcKey: existsSync(join(dir, KEY_FILES.devOidcKey))
      ? readKey(dir, KEY_FILES.devOidcKey)
      : generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey,
    created,
  };
}

export const spkiDer = (k: KeyObject): Buffer => createPublicKey(k).export({ type: 'spki', format: 'der' });
export const spkiPem = (k: KeyObject): string => toPem(spkiDer(k), 'PUBLIC KEY');

/** What a standalone CT log needs: its key, and the CA root in the same directory if there is one. */
export async function loadLogKeys(dir: string, opts: { create: boolean }): Promise<{ ctKey: KeyObject; root?: Buffer }> {
  if (opts.create) await createMissing(dir);
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
