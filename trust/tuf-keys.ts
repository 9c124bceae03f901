// TUF role keys (ed25519): one per top-level role, kept as PKCS#8 PEM files in a directory the operator owns.
// Created on first use and reused afterwards, so every export of the same repository is signed by the same keys
// and clients that cached its root keep updating. Signing goes through the Signer interface.
import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { canonicalize } from '@tufjs/canonical-json';
import { Key } from '@tufjs/models';
import { keySigner, type Signer } from '../lib/signer.js';

export const TUF_ROLES = ['root', 'targets', 'snapshot', 'timestamp'] as const;
export type TufRole = (typeof TUF_ROLES)[number];

export interface TufRoleKey {
  /** The public key as TUF metadata lists it (keyid = SHA-256 of its canonical JSON). */
  readonly key: Key;
  readonly signer: Signer;
}

export type TufKeys = Record<TufRole, TufRoleKey>;

/** The raw 32-byte Ed25519 public key: the last 32 bytes of its SubjectPublicKeyInfo. */
const rawEd25519 = (k: KeyObject) => createPublicKey(k).export({ type: 'spki', format: 'der' }).subarray(-32);

export function tufKey(privateKey: KeyObject): TufRoleKey {
  if (privateKey.asymmetricKeyType !== 'ed25519') throw new Error(`TUF role keys are ed25519, not ${privateKey.asymmetricKeyType}`);
  const fields = { keytype: 'ed25519', scheme: 'ed25519', keyval: { public: rawEd25519(privateKey).toString('hex') } };
  const keyID = createHash('sha256').update(canonicalize(fields)).digest('hex');
  return {
    key: new Key({ keyID, keyType: fields.keytype, scheme: fields.scheme, keyVal: fields.keyval }),
    signer: keySigner(privateKey),
  };
}

/** Loads the four role keys from `dir`, creating the missing ones; resolves to the keys and the files created. */
export function loadOrCreateTufKeys(dir: string): { keys: TufKeys; created: string[] } {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const created: string[] = [];
  const load = (role: TufRole): TufRoleKey => {
    const path = join(dir, `${role}.key.pem`);
    if (!existsSync(path)) {
      const { privateKey } = generateKeyPairSync('ed25519');
      // 'wx' never overwrites a key another export created meanwhile.
      try {
        writeFileSync(path, privateKey.export({ type: 'pkcs8', format: 'pem' }) as string, { flag: 'wx', mode: 0o600 });
        created.push(path);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      }
    }
    return tufKey(createPrivateKey(readFileSync(path, 'utf8')));
  };
  const keys = Object.fromEntries(TUF_ROLES.map((r) => [r, load(r)])) as TufKeys;
  return { keys, created };
}
