// Opening the keys a keys directory references (config/keys-dir.ts says where they are; signer/ opens them), with
// the start-up checks of `fulgor serve` and `fulgor ct serve`: development keys outside --dev, key files others can
// read (a warning; an error with --strict-key-permissions), keys that do not open, and keys that do not match their
// certificate or public key file. Every refusal is a KeyError naming the file or token (the CLI exits 2).
import { createPublicKey } from 'node:crypto';
import { isAbsolute, join } from 'node:path';
import type { KeyLocation } from '../config/keys-dir.js';
import type { Logger } from '../lib/log.js';
import { keyFilePermissionProblem, KeyError, openSigner, parseKeyUri, type ClosableSigner } from '../signer/index.js';

export interface KeyOpening {
  /** --key-passphrase-file: the passphrase of encrypted key files (else FULGOR_KEY_PASSPHRASE). */
  readonly passphraseFile?: string;
  /** Where FULGOR_KEY_PASSPHRASE / FULGOR_PKCS11_PIN / FULGOR_PKCS11_MODULE are read (default process.env). */
  readonly env?: NodeJS.ProcessEnv;
  /** --strict-key-permissions: a key file readable by others is an error, not a warning. */
  readonly strictPermissions?: boolean;
  readonly logger: Logger;
}

const messageOf = (e: unknown) => (e instanceof Error ? e.message : String(e));

/** The reference with a relative file path resolved against the directory of the .key.uri file that holds it. */
function resolvedUri(loc: KeyLocation): string {
  const ref = parseKeyUri(loc.uri);
  if (ref.kind === 'file' && loc.baseDir !== undefined && !isAbsolute(ref.path)) return `file:${join(loc.baseDir, ref.path)}`;
  return loc.uri;
}

/** Opens the `role` key (e.g. "issuing CA") at `loc`; its file's permissions are checked first. */
export async function openKey(loc: KeyLocation, role: string, o: KeyOpening): Promise<ClosableSigner> {
  const via = loc.uri.startsWith('file:') && `file:${loc.from}` === loc.uri ? '' : ` (named by ${loc.from})`;
  try {
    const uri = resolvedUri(loc);
    const ref = parseKeyUri(uri);
    if (ref.kind === 'file') {
      const problem = await keyFilePermissionProblem(ref.path).catch(() => undefined); // a missing file is reported by openSigner
      if (problem && o.strictPermissions) throw new KeyError(`${problem}; refusing to start (--strict-key-permissions)`);
      if (problem) o.logger.log('warn', `${role} key: ${problem} (--strict-key-permissions makes this an error)`, { key: ref.path });
    }
    return await openSigner(uri, { ...(o.passphraseFile ? { passphraseFile: o.passphraseFile } : {}), ...(o.env ? { env: o.env } : {}) });
  } catch (e) {
    throw new KeyError(`${role} key${via}: ${messageOf(e)}`, { cause: e });
  }
}

const normalized = (spki: Buffer) => createPublicKey({ key: spki, format: 'der', type: 'spki' }).export({ type: 'spki', format: 'der' });

/** The CT log key must be the one in ctlog.pub.pem (what verifiers were given), when that file exists. */
export function checkPublicKeyMatches(signer: ClosableSigner, publicKey: Buffer | undefined, publicKeyFile: string, role: string): void {
  if (publicKey && !normalized(publicKey).equals(normalized(signer.spki)))
    throw new KeyError(`${role} key (${signer.description}) does not match ${publicKeyFile}: serve with the key whose public key verifiers have, or replace ${publicKeyFile}`);
}

/** Why `fulgor serve` refuses a development keys directory outside --dev, and what to do instead. */
export const developmentKeysRefusal = (keysDir: string, reason: string): KeyError =>
  new KeyError(
    `${keysDir} holds development keys: ${reason}. Outside --dev they are refused: anyone with this directory ` +
      'can issue certificates your verifiers would trust. Create production keys with ' +
      '"fulgor ca init --keys-dir DIR --root-out OFFLINE-DIR" (README: "Production keys"), or pass --allow-dev-keys ' +
      'to serve these anyway (never for real signing).',
  );

/** Closes signers opened so far, quietly (start-up failed, or the service stopped). */
export async function closeAll(signers: readonly ClosableSigner[]): Promise<void> {
  await Promise.all(signers.map((s) => s.close().catch(() => undefined)));
}

/** The key-opening settings of `fulgor serve`'s options (--key-passphrase-file, --strict-key-permissions, the environment). */
export const keyOpeningOf = (o: { readonly logger: Logger; readonly keyPassphraseFile?: string; readonly strictKeyPermissions?: boolean; readonly env?: NodeJS.ProcessEnv }): KeyOpening => ({
  logger: o.logger,
  ...(o.keyPassphraseFile ? { passphraseFile: o.keyPassphraseFile } : {}),
  ...(o.strictKeyPermissions ? { strictPermissions: true } : {}),
  ...(o.env ? { env: o.env } : {}),
});
