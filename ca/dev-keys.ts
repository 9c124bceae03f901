// Development keys: creates whatever is missing in a keys directory (the development CA's root and intermediate,
// the CT log key, the timestamp authority's certificate and key, the development OIDC issuer's key) and reuses what
// is there. Called by the CLI (`keys init`,
// `dev-token`, `ct serve --dev`) and by `serve --dev`; reading the directory is config/keys-dir.ts's job.
// With a development CA it writes the DEVELOPMENT marker, so that `fulgor serve` without --dev refuses the directory.
import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { KEY_FILES, KEY_URI_FILES, readCertificates } from '../config/keys-dir.js';
import { certToPem } from '../lib/pem.js';
import { createDevCa, type DevCaCurve } from './dev-ca.js';
import { createDevTsa } from './dev-tsa.js';

const DEVELOPMENT_NOTE =
  'These are development keys, made by "fulgor keys init" (or "fulgor serve --dev"): the root private key is in this\n' +
  'directory and the CA is named "Fulgor Development". Never use them for real signing; "fulgor serve" refuses them\n' +
  'without --dev unless --allow-dev-keys is given. Create production keys with "fulgor ca init".\n';

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

/** Creates the missing development keys in `dir` (and `dir` itself); resolves to the files it created. */
export async function createMissingDevKeys(dir: string, opts: { caCurve?: DevCaCurve } = {}): Promise<string[]> {
  mkdirSync(dir, { recursive: true });
  const created: string[] = [];
  const has = (f: string) => existsSync(join(dir, f));
  // A key referenced by a .key.uri file (in a token, or elsewhere) is there too.
  if (!has(KEY_FILES.caCert) || !(has(KEY_FILES.caKey) || has(KEY_URI_FILES.caKey)) || !has(KEY_FILES.rootCert)) {
    const ca = await createDevCa(opts.caCurve ? { curve: opts.caCurve } : {});
    writeNew(dir, KEY_FILES.rootKey, pkcs8(ca.rootKey), created);
    writeNew(dir, KEY_FILES.rootCert, certToPem(ca.root), created);
    writeNew(dir, KEY_FILES.caKey, pkcs8(ca.intermediateKey), created);
    writeNew(dir, KEY_FILES.caCert, certToPem(ca.intermediate), created);
    writeNew(dir, KEY_FILES.devMarker, DEVELOPMENT_NOTE, created);
  }
  if (!has(KEY_FILES.ctKey) && !has(KEY_URI_FILES.ctKey)) {
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
    writeNew(dir, KEY_FILES.ctKey, pkcs8(privateKey), created);
    writeNew(dir, KEY_FILES.ctPub, publicKey.export({ type: 'spki', format: 'pem' }) as string, created);
  }
  // The TSA certificate is issued by the root, so it needs the root key; a pair half there is left for loadKeys to report.
  if (!has(KEY_FILES.tsaCert) && !has(KEY_FILES.tsaKey) && !has(KEY_URI_FILES.tsaKey) && has(KEY_FILES.rootKey) && has(KEY_FILES.rootCert)) {
    const root = readCertificates(join(dir, KEY_FILES.rootCert))[0] as Buffer;
    const tsa = await createDevTsa({ root, rootKeyPem: readFileSync(join(dir, KEY_FILES.rootKey), 'utf8') });
    writeNew(dir, KEY_FILES.tsaKey, pkcs8(tsa.key), created);
    writeNew(dir, KEY_FILES.tsaCert, certToPem(tsa.cert), created);
  }
  if (!has(KEY_FILES.devOidcKey)) {
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    writeNew(dir, KEY_FILES.devOidcKey, pkcs8(privateKey), created);
  }
  return created;
}
