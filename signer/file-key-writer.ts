// Writing private keys to files (`ca init`): PKCS#8 PEM, encrypted with AES-256-CBC under PBES2 (PBKDF2-HMAC-SHA256,
// OpenSSL's defaults through node:crypto) when a passphrase is given. Files are created 0600 and never overwritten.
import { type KeyObject } from 'node:crypto';
import { open } from 'node:fs/promises';
import { KeyError } from './errors.js';

export function privateKeyPem(key: KeyObject, passphrase?: string): string {
  if (passphrase === undefined) return key.export({ type: 'pkcs8', format: 'pem' }) as string;
  if (passphrase.length === 0) throw new KeyError('an empty passphrase cannot protect a key');
  return key.export({ type: 'pkcs8', format: 'pem', cipher: 'aes-256-cbc', passphrase }) as string;
}

/** Creates `path` (mode 0600) holding the key; an existing file is an error, never replaced. */
export async function writePrivateKeyFile(path: string, key: KeyObject, passphrase?: string): Promise<void> {
  const pem = privateKeyPem(key, passphrase);
  let handle;
  try {
    handle = await open(path, 'wx', 0o600);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') throw new KeyError(`key file ${path} already exists; refusing to overwrite it`);
    throw new KeyError(`key file ${path} cannot be created (${code ?? String(e)})`);
  }
  try {
    await handle.writeFile(pem);
    await handle.sync();
  } finally {
    await handle.close();
  }
}
