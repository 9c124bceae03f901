// The keys directory (layout: README "Production keys"): the issuing CA's chain (any depth) and the root, references
// to the CA and CT log keys (a PKCS#8 file, or a .key.uri file naming a file or a PKCS#11 object), the CT log's
// public key, the timestamp authority's chain and key, the development OIDC key, and whether these are development keys. This file only reads the directory
// and says what it found; the composition root (server/serve.ts, cli/) opens the keys through signer/, and
// development keys are created by ca/dev-keys.ts (`fulgor keys init`, `serve --dev`). Nothing here is committed.
import { createHash, createPrivateKey, createPublicKey, X509Certificate, type KeyObject } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
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
  /** Written with development keys (`fulgor keys init`): serving them outside --dev needs --allow-dev-keys. */
  devMarker: 'DEVELOPMENT',
} as const;

export interface TsaKeys {
  /** DER: the TSA certificate, then the intermediates above it (not the root). */
  readonly chain: Buffer[];
  /** tsa.key.pem, tsa.key.uri or --tsa-key: opened through signer/ like the CA and CT log keys. */
  readonly key: KeyLocation;
  /** The keys directory's root-ca.pem, when there is one. */
  readonly root?: Buffer;
}

/** Retired issuing CAs (`fulgor ca rotate`): D/retired/<YYYYMMDDTHHMMSSZ>-<fingerprint>/ holding intermediate-ca.pem, root-ca.pem (when its root differs from D's) and retired.json. */
export const RETIRED_FILES = { dir: 'retired', info: 'retired.json' } as const;

/** One line naming a key by URI (a path, file:PATH or pkcs11:...), in place of the key file itself. */
export const KEY_URI_FILES = {
  caKey: 'intermediate-ca.key.uri',
  ctKey: 'ctlog.key.uri',
  tsaKey: 'tsa.key.uri',
} as const;

/** The organization of the development CA (ca/dev-ca.ts); a root naming it is a development root wherever it is. */
export const DEV_CA_ORGANIZATION = 'Fulgor Development';

/** Where a key is: a reference for signer/'s openSigner, and where the reference came from (for messages). */
export interface KeyLocation {
  /** A path, file:PATH or pkcs11: URI. */
  readonly uri: string;
  /** e.g. `keys/intermediate-ca.key.pem`, `keys/ctlog.key.uri` or `--ca-key`. */
  readonly from: string;
  /** Relative file paths in a .key.uri file are relative to the keys directory. */
  readonly baseDir?: string;
}

/** An issuing CA that no longer issues (`fulgor ca rotate`); verifiers still need its chain for what it signed. */
export interface RetiredCa {
  /** [issuing CA, ...intermediates, root], DER (the root: the entry's own root-ca.pem, else the keys directory's). */
  readonly chain: Buffer[];
  /** When it stopped issuing (retired.json). */
  readonly retiredAt: Date;
  /** The entry's directory, for messages. */
  readonly dir: string;
}

export interface KeyMaterial {
  /** [issuing CA, ...every intermediate above it, root], DER. */
  readonly caChain: Buffer[];
  /** Retired issuing CAs, oldest retirement first (none when D/retired/ does not exist). */
  readonly retired: RetiredCa[];
  readonly caKey: KeyLocation;
  /** Undefined when the directory holds no CT log key (a CA pointed at an external log needs none). */
  readonly ctKey?: KeyLocation;
  /** ctlog.pub.pem (DER SPKI), when present: the CT log key must match it. */
  readonly ctPublicKey?: Buffer;
  /** The development OIDC issuer's key, when the directory holds one. */
  readonly devOidcKey?: KeyObject;
  /** The timestamp authority's chain and key, when the directory holds them (older keys dirs do not). */
  readonly tsa?: TsaKeys;
  /** Why this directory holds development keys (the DEVELOPMENT marker, or the development root); undefined otherwise. */
  readonly development?: string;
  /** The root's private key file, when it is (wrongly, outside development) in the serving keys directory. */
  readonly rootKeyFile?: string;
}

/** `--ca-key` / `--ct-log-key`: key URIs that win over the directory's files; `--ca-cert`: the CA chain file. */
export interface KeyOverrides {
  readonly caCert?: string;
  readonly caKey?: string;
  readonly ctKey?: string;
  readonly tsaKey?: string;
}

const readText = (path: string) => readFileSync(path, 'utf8');

/** Every certificate in a PEM bundle file (CT log roots, chains). */
export function readCertificates(path: string): Buffer[] {
  const certs = parsePemBlocks(readText(path)).filter((b) => b.label === 'CERTIFICATE').map((b) => b.der);
  if (certs.length === 0) throw new Error(`${path} holds no CERTIFICATE`);
  return certs;
}

function readRoot(dir: string): Buffer {
  const path = join(dir, KEY_FILES.rootCert);
  const certs = readCertificates(path);
  if (certs.length > 1) throw new Error(`${path} holds ${certs.length} certificates; it must hold only the root (the trust anchor)`);
  return certs[0]!;
}

/** [issuing CA, ...intermediates] from intermediate-ca.pem, then the root from root-ca.pem (of `rootDir`, default `dir`). */
function readChain(dir: string, rootDir = dir): Buffer[] {
  const path = join(dir, KEY_FILES.caCert);
  const issuing = readCertificates(path);
  const root = readRoot(rootDir);
  if (issuing.some((c) => c.equals(root)))
    throw new Error(`${path} holds the root certificate; it must hold the issuing CA and any intermediates, up to but excluding the root (${KEY_FILES.rootCert})`);
  return [...issuing, root];
}

/** The key named by `override`, else D/<pem> or D/<uri>: exactly one of the two files may exist. */
function keyLocation(dir: string, pemName: string, uriName: string, override: string | undefined, flagName: string): KeyLocation | undefined {
  if (override !== undefined) return { uri: override, from: flagName };
  const pem = join(dir, pemName);
  const uriPath = join(dir, uriName);
  const hasPem = existsSync(pem);
  const hasUri = existsSync(uriPath);
  if (hasPem && hasUri) throw new Error(`both ${pem} and ${uriPath} exist; keep one (the key file, or the reference to the key)`);
  if (hasPem) return { uri: `file:${pem}`, from: pem };
  if (!hasUri) return undefined;
  const lines = readText(uriPath).split(/\r?\n/).map((l) => l.trim()).filter((l) => l !== '');
  if (lines.length !== 1) throw new Error(`${uriPath} must hold one line, a key URI (file:PATH or pkcs11:...); it holds ${lines.length}`);
  return { uri: lines[0]!, from: uriPath, baseDir: dir };
}

function missing(path: string, what: string): Error {
  return new Error(
    `missing ${path} (bring ${what} there, or reference ${what === 'the CA chain' ? 'it' : 'the key'} in a .key.uri file; ` +
      'create production keys with "fulgor ca init", development keys with "fulgor keys init")',
  );
}

/** Why the directory holds development keys: the DEVELOPMENT marker, or a root made by the development CA. */
function developmentReason(dir: string, root: Buffer | undefined): string | undefined {
  const marker = join(dir, KEY_FILES.devMarker);
  if (existsSync(marker)) return `${marker} marks them as development keys (made by "fulgor keys init")`;
  if (!root) return undefined;
  const subject = new X509Certificate(root).subject;
  if (subject.split('\n').includes(`O=${DEV_CA_ORGANIZATION}`))
    return `the root certificate ${join(dir, KEY_FILES.rootCert)} is the development CA's (${subject.replace(/\n/g, ', ')})`;
  return undefined;
}

const readPublicKey = (path: string): Buffer => {
  try {
    return createPublicKey(readText(path)).export({ type: 'spki', format: 'der' });
  } catch (e) {
    throw new Error(`${path} is not a PEM public key (${e instanceof Error ? e.message : String(e)})`, { cause: e });
  }
};

/** `20261205T004500Z-0123456789abcdef`: when it was retired, and the issuing certificate's SHA-256 (first 16 hex). */
export function retiredEntryName(retiredAt: Date, issuing: Buffer): string {
  const stamp = retiredAt.toISOString().replace(/\.\d{3}Z$/, 'Z').replace(/[-:]/g, '');
  return `${stamp}-${createHash('sha256').update(issuing).digest('hex').slice(0, 16)}`;
}

const ENTRY_NAME = /^\d{8}T\d{6}Z-[0-9a-f]{16}$/;

/** One retired CA entry; throws naming the entry and what is wrong with it. */
function readRetired(dir: string, entry: string): RetiredCa {
  const path = join(dir, RETIRED_FILES.dir, entry);
  const bad = (why: string) => new Error(`retired CA ${path} is malformed: ${why} (layout: README "Rotation")`);
  if (!ENTRY_NAME.test(entry)) throw bad('its name is not <YYYYMMDDTHHMMSSZ>-<first 16 hex of the SHA-256 fingerprint>');
  if (!statSync(path).isDirectory()) throw bad('it is not a directory');
  const info = join(path, RETIRED_FILES.info);
  if (!existsSync(info)) throw bad(`missing ${RETIRED_FILES.info} ({"retiredAt": ISO-8601})`);
  let retiredAt: Date;
  try {
    const parsed: unknown = JSON.parse(readText(info));
    const at = typeof parsed === 'object' && parsed !== null ? (parsed as { retiredAt?: unknown }).retiredAt : undefined;
    if (typeof at !== 'string' || Number.isNaN(Date.parse(at))) throw new Error('no "retiredAt" ISO-8601 time');
    retiredAt = new Date(at);
  } catch (e) {
    throw bad(`${RETIRED_FILES.info}: ${e instanceof Error ? e.message : String(e)}`);
  }
  if (!existsSync(join(path, KEY_FILES.caCert))) throw bad(`missing ${KEY_FILES.caCert}`);
  try {
    const chain = readChain(path, existsSync(join(path, KEY_FILES.rootCert)) ? path : dir);
    const fp = createHash('sha256').update(chain[0]!).digest('hex').slice(0, 16);
    if (!entry.endsWith(`-${fp}`)) throw new Error(`its name does not end in its issuing certificate's fingerprint ${fp}`);
    return { chain, retiredAt, dir: path };
  } catch (e) {
    throw bad(e instanceof Error ? e.message : String(e));
  }
}

/** Every retired CA under D/retired/, oldest retirement first. */
export function loadRetired(dir: string): RetiredCa[] {
  const base = join(dir, RETIRED_FILES.dir);
  if (!existsSync(base)) return [];
  return readdirSync(base)
    .filter((e) => !e.startsWith('.'))
    .map((e) => readRetired(dir, e))
    .sort((a, b) => a.retiredAt.getTime() - b.retiredAt.getTime());
}

/** `--ca-cert FILE` (Fulcio's fileca-cert): issuing CA first, any intermediates, the root last. */
function readChainFile(path: string): Buffer[] {
  const certs = readCertificates(path);
  if (certs.length < 2) throw new Error(`${path} holds one certificate: give the issuing CA, any intermediates, then the root`);
  return certs;
}

export function loadKeys(dir: string, overrides: KeyOverrides = {}): KeyMaterial {
  if (overrides.caCert === undefined)
    for (const f of [KEY_FILES.caCert, KEY_FILES.rootCert]) if (!existsSync(join(dir, f))) throw missing(join(dir, f), 'the CA chain');
  const caChain = overrides.caCert === undefined ? readChain(dir) : readChainFile(overrides.caCert);
  const caKey = keyLocation(dir, KEY_FILES.caKey, KEY_URI_FILES.caKey, overrides.caKey, '--ca-key');
  if (!caKey) throw missing(join(dir, KEY_FILES.caKey), 'the issuing CA key');
  const ctKey = keyLocation(dir, KEY_FILES.ctKey, KEY_URI_FILES.ctKey, overrides.ctKey, '--ct-log-key');
  const ctPub = join(dir, KEY_FILES.ctPub);
  const rootKey = join(dir, KEY_FILES.rootKey);
  const development = developmentReason(dir, caChain[caChain.length - 1]);
  return {
    caChain,
    retired: loadRetired(dir),
    caKey,
    ...(ctKey ? { ctKey } : {}),
    ...(existsSync(ctPub) ? { ctPublicKey: readPublicKey(ctPub) } : {}),
    ...(existsSync(join(dir, KEY_FILES.devOidcKey)) ? { devOidcKey: createPrivateKey(readText(join(dir, KEY_FILES.devOidcKey))) } : {}),
    ...(development ? { development } : {}),
    ...(existsSync(rootKey) ? { rootKeyFile: rootKey } : {}),
    ...(overrides.tsaKey !== undefined || [KEY_FILES.tsaCert, KEY_FILES.tsaKey, KEY_URI_FILES.tsaKey].some((f) => existsSync(join(dir, f)))
      ? { tsa: loadTsaKeys(dir, overrides.tsaKey) }
      : {}),
  };
}

/**
 * The timestamp authority's chain (D/tsa.pem), where its key is (`keyUri` from --tsa-key, else D/tsa.key.pem or
 * D/tsa.key.uri: exactly one of the two) and the root (D/root-ca.pem) if there is one. Throws, naming the file, when
 * the chain or the key is missing.
 */
export function loadTsaKeys(dir: string, keyUri?: string): TsaKeys {
  const certPath = join(dir, KEY_FILES.tsaCert);
  const hint = "bring the timestamp authority's certificate chain and key there, or create them with \"fulgor ca init\" (development keys: \"fulgor keys init\")";
  if (!existsSync(certPath)) throw new Error(`missing ${certPath} (${hint})`);
  const key = keyLocation(dir, KEY_FILES.tsaKey, KEY_URI_FILES.tsaKey, keyUri, '--tsa-key');
  if (!key) throw new Error(`missing ${join(dir, KEY_FILES.tsaKey)} (${hint}; or reference the key in ${KEY_URI_FILES.tsaKey} or with --tsa-key URI)`);
  const rootPath = join(dir, KEY_FILES.rootCert);
  return {
    chain: readCertificates(certPath),
    key,
    ...(existsSync(rootPath) ? { root: readRoot(dir) } : {}),
  };
}

export const spkiDer = (k: KeyObject): Buffer => createPublicKey(k).export({ type: 'spki', format: 'der' });
export const spkiPem = (k: KeyObject): string => toPem(spkiDer(k), 'PUBLIC KEY');

export interface LogKeys {
  readonly ctKey: KeyLocation;
  /** ctlog.pub.pem (DER SPKI), when present. */
  readonly ctPublicKey?: Buffer;
  /** The CA root in the same directory, if there is one. */
  readonly root?: Buffer;
  /** Why this directory holds development keys (as KeyMaterial.development); undefined otherwise. */
  readonly development?: string;
}

/** What a standalone CT log needs: its key, its public key file if any, and the CA root in the same directory if any. */
export function loadLogKeys(dir: string, overrides: Pick<KeyOverrides, 'ctKey'> = {}): LogKeys {
  const ctKey = keyLocation(dir, KEY_FILES.ctKey, KEY_URI_FILES.ctKey, overrides.ctKey, '--ct-log-key');
  if (!ctKey) throw missing(join(dir, KEY_FILES.ctKey), 'the CT log key');
  const ctPub = join(dir, KEY_FILES.ctPub);
  const root = existsSync(join(dir, KEY_FILES.rootCert)) ? readRoot(dir) : undefined;
  const development = developmentReason(dir, root);
  return {
    ctKey,
    ...(existsSync(ctPub) ? { ctPublicKey: readPublicKey(ctPub) } : {}),
    ...(root ? { root } : {}),
    ...(development ? { development } : {}),
  };
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
  return [...certs, readRoot(dir)];
}
