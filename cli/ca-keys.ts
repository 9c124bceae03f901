// What `fulgor ca init`, `ca csr` and `ca import` share: their flags (validity durations, the passphrase file), making
// a key where its reference points (a file in the keys directory, encrypted when a passphrase is given; or inside a
// PKCS#11 token, recorded in a .key.uri file), never over an existing one, and how certificates are shown.
import { createHash, X509Certificate } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readFile, rm, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { KEY_FILES } from '../config/keys-dir.js';
import { toPem } from '../lib/pem.js';
import { keySigner, type Signer } from '../lib/signer.js';
import {
  formatPkcs11Uri,
  generatePkcs11KeyPair,
  generateSoftwareKey,
  keyPassphrase,
  openSigner,
  parseKeyAlgorithm,
  parseKeyUri,
  writePrivateKeyFile,
  type KeyAlgorithm,
  type SecretOptions,
} from '../signer/index.js';
import { flag, str, type Flags } from './flags.js';

/** Flags every `ca` command has. */
export const CA_COMMON_FLAGS = {
  'keys-dir': str('DIR', 'the serving keys directory (required)'),
  'passphrase-file': str('FILE', 'encrypt (or open) key files with the passphrase in FILE (else FULGOR_KEY_PASSPHRASE)', undefined, ['key-passphrase-file']),
};
export const ALGORITHM_FLAG = { algorithm: str('ecdsa-p256|ecdsa-p384|rsa-3072|rsa-4096', 'the new keys\' algorithm', 'ecdsa-p256') };
export const CA_NAME_FLAGS = {
  org: str('O', "the CA's organization", 'Fulgor'),
  'common-name': str('CN', "the issuing CA's common name (default \"O Issuing CA\")"),
};
export const CA_KEY_FLAG = { 'ca-key': str('URI', 'make the issuing CA key there (a path or pkcs11:...) instead of in the keys dir') };
export const CT_LOG_KEY_FLAG = { 'ct-log-key': str('URI', 'make the CT log key there (a path or pkcs11:...) instead of in the keys dir') };

/** The files a key occupies in the keys directory: its PEM file or its .key.uri reference. */
export const KEY_SLOTS = {
  issuing: { pem: KEY_FILES.caKey, uri: 'intermediate-ca.key.uri', what: 'issuing CA key' },
  ctLog: { pem: KEY_FILES.ctKey, uri: 'ctlog.key.uri', what: 'CT log key' },
  tsa: { pem: KEY_FILES.tsaKey, uri: 'tsa.key.uri', what: 'timestamp authority key' },
} as const;

/** What `ca csr` and `ca import` say: they make no TSA certificate (that needs the root key, which they never hold). */
export const TSA_SEPARATELY =
  'Timestamp authority: not created (its certificate is signed by your root). To serve /api/v1/timestamp, obtain a\n' +
  'certificate with one critical extendedKeyUsage timeStamping, keyUsage digitalSignature, not a CA, and install it as\n' +
  `  ${KEY_FILES.tsaCert} (TSA certificate first, then its chain up to but excluding the root) with its key as ${KEY_FILES.tsaKey} or tsa.key.uri\n` +
  '(README "Timestamp authority").\n';
export type KeySlot = (typeof KEY_SLOTS)[keyof typeof KEY_SLOTS];

export function requiredFlag(flags: Flags, name: string, value: string): string {
  const v = flag(flags, name);
  if (!v) throw new Error(`--${name} ${value} is required`);
  return v;
}

export const algorithmFlag = (flags: Flags): KeyAlgorithm => parseKeyAlgorithm(flag(flags, 'algorithm') ?? 'ecdsa-p256');

/** `--passphrase-file F` (alias `--key-passphrase-file`), else FULGOR_KEY_PASSPHRASE: the secret options and the passphrase. */
export async function passphraseFlag(flags: Flags): Promise<{ secrets: SecretOptions; passphrase?: string; source?: string }> {
  const file = flag(flags, 'passphrase-file');
  const secrets: SecretOptions = file === undefined ? {} : { passphraseFile: file };
  const secret = await keyPassphrase(secrets);
  return secret ? { secrets, passphrase: secret.value, source: secret.source } : { secrets };
}

/** A validity period such as 10y, 3y, 90d or 12h, added to `from` (years and days on the calendar, in UTC). */
export function addDuration(from: Date, text: string, name: string): Date {
  const m = /^([1-9][0-9]{0,4})([ydh])$/.exec(text);
  if (!m) throw new Error(`--${name} ${JSON.stringify(text)}: give a duration such as 10y, 3y, 90d or 12h`);
  const n = Number(m[1]);
  const d = new Date(from);
  if (m[2] === 'y') d.setUTCFullYear(d.getUTCFullYear() + n);
  else if (m[2] === 'd') d.setUTCDate(d.getUTCDate() + n);
  else d.setUTCHours(d.getUTCHours() + n);
  return d;
}

/** Files that must not exist yet; names them all at once so that nothing is half-made. */
export function refuseExisting(paths: readonly string[], hint: string): void {
  const present = paths.filter((p) => existsSync(p));
  if (present.length) throw new Error(`refusing to overwrite ${present.join(', ')} (${hint})`);
}

/** The key reference recorded for `slot` in `dir`: the .key.uri line, or the PEM file; undefined when neither exists. */
export async function keyRefIn(dir: string, slot: KeySlot): Promise<string | undefined> {
  const pem = join(dir, slot.pem);
  const uriFile = join(dir, slot.uri);
  if (existsSync(pem) && existsSync(uriFile)) throw new Error(`${dir} holds both ${slot.pem} and ${slot.uri}; keep one`);
  if (existsSync(uriFile)) {
    const line = (await readFile(uriFile, 'utf8')).trim();
    if (!line || line.includes('\n')) throw new Error(`${uriFile} must hold one key URI on one line`);
    return line;
  }
  return existsSync(pem) ? pem : undefined;
}

/** Records files created so far, so that a failed command removes them again (keys made in a token stay there). */
export class CreatedFiles {
  readonly paths: string[] = [];
  async write(path: string, content: string, mode = 0o644): Promise<void> {
    await writeFile(path, content, { flag: 'wx', mode });
    this.paths.push(path);
  }
  async undo(): Promise<void> {
    await Promise.all(this.paths.map((p) => rm(p, { force: true })));
  }
}

export interface CreatedKey {
  readonly signer: Signer;
  /** Where the key lives, for the operator: a file (and whether encrypted) or the token URI. */
  readonly where: string;
  close(): Promise<void>;
}

/** The files `slot` would occupy in `dir` (for refuseExisting), given the reference the key is made at. */
export function slotPaths(dir: string, slot: KeySlot, uri: string | undefined): string[] {
  const paths = [join(dir, slot.pem), join(dir, slot.uri)];
  const ref = uri === undefined ? undefined : parseKeyUri(uri);
  if (ref?.kind === 'file') paths.push(resolve(ref.path));
  return [...new Set(paths)];
}

/**
 * Makes a new key for `slot` where `uri` points (default: the slot's PEM file in `dir`): a pkcs11: URI generates it
 * inside the token (non-extractable) and records the URI in the slot's .key.uri; a file is written 0600, encrypted
 * when `passphrase` is given, and recorded in .key.uri when it lies outside `dir`.
 */
export async function createKeyAt(
  dir: string,
  slot: KeySlot,
  uri: string | undefined,
  algorithm: KeyAlgorithm,
  o: { secrets: SecretOptions; passphrase?: string },
  created: CreatedFiles,
): Promise<CreatedKey> {
  const ref = parseKeyUri(uri ?? join(dir, slot.pem));
  if (ref.kind === 'pkcs11') {
    const { spki, id } = await generatePkcs11KeyPair(ref, algorithm, o.secrets);
    const { kind: _kind, display: _display, pinValue, ...rest } = ref;
    const recorded = formatPkcs11Uri({ ...rest, id });
    await created.write(join(dir, slot.uri), `${recorded}\n`, 0o600);
    const signer = await openSigner(uri!, o.secrets);
    if (!signer.spki.equals(spki)) throw new Error(`${ref.display}: the key opened is not the one just generated`);
    const pinNote = pinValue !== undefined ? ' (its pin-value is not recorded: give the PIN with pin-source= or FULGOR_PKCS11_PIN)' : '';
    return { signer, where: `${recorded} (in the token, non-extractable)${pinNote}`, close: () => signer.close() };
  }
  const path = resolve(ref.path);
  const key = generateSoftwareKey(algorithm);
  await writePrivateKeyFile(path, key, o.passphrase);
  created.paths.push(path);
  if (path !== resolve(dir, slot.pem)) await created.write(join(dir, slot.uri), `file:${path}\n`, 0o600);
  return {
    signer: keySigner(key),
    where: `${path} (${o.passphrase === undefined ? 'NOT encrypted' : 'encrypted'})`,
    close: async () => {},
  };
}

/** `O=Acme, CN=Acme Root CA`. */
export const subjectLine = (der: Buffer): string => new X509Certificate(der).subject.split('\n').filter(Boolean).join(', ');

/** SHA-256 of the DER, as `AB:CD:...` (what `openssl x509 -fingerprint -sha256` prints). */
export const fingerprint = (der: Buffer): string =>
  createHash('sha256').update(der).digest('hex').toUpperCase().match(/../g)!.join(':');

export function describeCertificate(label: string, der: Buffer): string {
  const cert = new X509Certificate(der);
  return (
    `  ${label.padEnd(12)}${subjectLine(der)}\n` +
    `  ${''.padEnd(12)}valid ${new Date(cert.validFrom).toISOString()} to ${new Date(cert.validTo).toISOString()}\n` +
    `  ${''.padEnd(12)}SHA-256 fingerprint ${fingerprint(der)}\n`
  );
}

/** The CT log's key (always ECDSA P-256, what RFC 6962 clients expect) and D/ctlog.pub.pem. */
export async function createCtLogKey(
  dir: string,
  uri: string | undefined,
  o: { secrets: SecretOptions; passphrase?: string },
  created: CreatedFiles,
): Promise<string> {
  const key = await createKeyAt(dir, KEY_SLOTS.ctLog, uri, 'ecdsa-p256', o, created);
  try {
    await created.write(join(dir, KEY_FILES.ctPub), toPem(key.signer.spki, 'PUBLIC KEY'));
  } finally {
    await key.close();
  }
  return key.where;
}

/** Makes the CT log key when `dir` has none; says what it did. */
export async function ensureCtLogKey(
  dir: string,
  uri: string | undefined,
  o: { secrets: SecretOptions; passphrase?: string },
  created: CreatedFiles,
): Promise<string> {
  const existing = await keyRefIn(dir, KEY_SLOTS.ctLog);
  if (existing !== undefined) {
    if (uri !== undefined) throw new Error(`--ct-log-key: ${dir} already holds the CT log key ${existing}`);
    return `Kept the CT log key already in ${dir} (${existing}).`;
  }
  refuseExisting([join(dir, KEY_FILES.ctPub)], `${dir} has a CT log public key but no CT log key`);
  return `Made the CT log key: ${await createCtLogKey(dir, uri, o, created)}`;
}
