// Where passphrases and PINs come from: a file (trailing newline stripped) or the environment, never a command-line
// value. Callers get the secret and a description of its source for error messages; the secret itself is never shown.
import { readFile } from 'node:fs/promises';
import { KeyError } from './errors.js';

export const PASSPHRASE_ENV = 'FULGOR_KEY_PASSPHRASE';
export const PKCS11_PIN_ENV = 'FULGOR_PKCS11_PIN';
export const PKCS11_MODULE_ENV = 'FULGOR_PKCS11_MODULE';

export interface SecretOptions {
  /** `--key-passphrase-file`: the passphrase of encrypted key files. Wins over FULGOR_KEY_PASSPHRASE. */
  readonly passphraseFile?: string;
  /** Where FULGOR_KEY_PASSPHRASE, FULGOR_PKCS11_PIN and FULGOR_PKCS11_MODULE are read (default process.env). */
  readonly env?: NodeJS.ProcessEnv;
}

export interface Secret {
  readonly value: string;
  /** e.g. `passphrase file /etc/fulgor/pass` or `FULGOR_KEY_PASSPHRASE`. */
  readonly source: string;
}

/** Reads a one-line secret file: one trailing newline (\n or \r\n) is removed; an empty secret is an error. */
export async function readSecretFile(path: string, what: string): Promise<string> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'does not exist' : code === 'EACCES' ? 'is not readable (permission denied)' : `cannot be read (${code ?? String(e)})`;
    throw new KeyError(`${what} ${path} ${why}`);
  }
  const value = text.replace(/\r?\n$/, '');
  if (value.length === 0) throw new KeyError(`${what} ${path} is empty`);
  return value;
}

/** The passphrase for encrypted key files, or undefined when none was configured. */
export async function keyPassphrase(o: SecretOptions): Promise<Secret | undefined> {
  if (o.passphraseFile !== undefined)
    return { value: await readSecretFile(o.passphraseFile, 'passphrase file'), source: `passphrase file ${o.passphraseFile}` };
  const env = (o.env ?? process.env)[PASSPHRASE_ENV];
  if (env !== undefined && env !== '') return { value: env, source: PASSPHRASE_ENV };
  return undefined;
}
