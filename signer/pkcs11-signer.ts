// The PKCS#11 backend: a private key that never leaves its token. ECDSA is hashed here with the curve's own hash and
// signed with CKM_ECDSA (the raw r||s answer becomes DER); RSA is signed with CKM_SHA256_RSA_PKCS. Each signature
// takes a session from a small pool (a session runs one operation at a time; every session shares the one login)
// and runs C_Sign on libuv's thread pool, so concurrent requests sign in parallel without blocking the event loop.
import { createHash } from 'node:crypto';
import type { ClosableSigner } from './closable.js';
import { KeyError } from './errors.js';
import type { Pkcs11KeyRef } from './key-uri.js';
import { ckrCode, type Handle } from './pkcs11-module.js';
import { tokenPublicKey } from './pkcs11-public-key.js';
import { closeQuietly, describeKey, findObjects, keyTemplate, openToken } from './pkcs11-token.js';
import type { SecretOptions } from './secrets.js';
import { rawEcdsaToDer, schemeForSpki } from './spki.js';

export interface Pkcs11Options extends SecretOptions {
  /** Sessions signing at once (default 4, libuv's default thread pool size). */
  readonly sessions?: number;
}

export async function openPkcs11Signer(ref: Pkcs11KeyRef, options: Pkcs11Options = {}): Promise<ClosableSigner> {
  const token = await openToken(ref, options);
  const { module } = token;
  const { api, ck } = module;
  const pool: Handle[] = [token.session];
  const free: Handle[] = [token.session];
  const waiters: { resolve: (s: Handle) => void; reject: (e: unknown) => void }[] = [];
  const maxSessions = Math.max(1, options.sessions ?? 4);
  let key: Handle;
  let description: string;
  let scheme: ReturnType<typeof schemeForSpki>;
  let publicKey: ReturnType<typeof tokenPublicKey>;
  try {
    const named = describeKey(ref);
    const found = findObjects(module, token.session, keyTemplate(module, ck.CKO_PRIVATE_KEY, ref), 2);
    if (found.length === 0) {
      const labels = findObjects(module, token.session, [{ type: ck.CKA_CLASS, value: ck.CKO_PRIVATE_KEY }], 20).map((h) => {
        const v = api.C_GetAttributeValue(token.session, h, [{ type: ck.CKA_LABEL }])[0]?.value;
        return JSON.stringify(Buffer.isBuffer(v) ? v.toString('utf8') : '');
      });
      throw new KeyError(
        `${token.where} has no private key ${named} (private keys visible: ${labels.length ? labels.join(', ') : 'none; is the PIN right?'})`,
      );
    }
    if (found.length > 1) throw new KeyError(`${token.where} has several private keys ${named}; add id= to the URI to pick one`);
    key = found[0]!;
    description = `${token.where} key ${named}`;
    publicKey = tokenPublicKey(module, token.session, key, description);
    scheme = schemeForSpki(publicKey.spki, description);
  } catch (e) {
    closeQuietly(module, token.session);
    module.release();
    throw e;
  }

  const mechanism = { mechanism: publicKey.keyType === 'ec' ? ck.CKM_ECDSA : ck.CKM_SHA256_RSA_PKCS };
  let closed = false;
  let inFlight = 0;
  let drained: (() => void) | undefined;

  const openSession = (): Handle => {
    try {
      const fresh = token.openSession();
      pool.push(fresh);
      return fresh;
    } catch (e) {
      throw new KeyError(`${description}: cannot open a session (${e instanceof Error ? e.message : String(e)})`);
    }
  };
  const acquire = async (): Promise<Handle> => {
    const s = free.pop();
    if (s) return s;
    if (pool.length < maxSessions) return openSession();
    return new Promise((resolve, reject) => waiters.push({ resolve, reject }));
  };
  const release = (session: Handle, broken: boolean) => {
    if (broken) {
      pool.splice(pool.indexOf(session), 1);
      closeQuietly(module, session);
    }
    const next = waiters.shift();
    if (!next) {
      if (!broken) free.push(session);
      return;
    }
    if (!broken) return next.resolve(session);
    try {
      next.resolve(openSession());
    } catch (e) {
      next.reject(e);
    }
  };

  const sign = async (data: Uint8Array): Promise<Buffer> => {
    if (closed) throw new KeyError(`${description}: signer is closed`);
    inFlight++;
    try {
      const input = publicKey.keyType === 'ec' ? createHash(scheme.hash!).update(data).digest() : Buffer.from(data);
      const session = await acquire();
      let broken = false;
      try {
        api.C_SignInit(session, mechanism, key);
        const out = await api.C_SignAsync(session, input, Buffer.alloc(publicKey.signatureLength));
        return publicKey.keyType === 'ec' ? rawEcdsaToDer(out) : Buffer.from(out);
      } catch (e) {
        const code = ckrCode(e);
        broken = code === ck.CKR_SESSION_HANDLE_INVALID || code === ck.CKR_SESSION_CLOSED || code === ck.CKR_DEVICE_REMOVED || code === ck.CKR_TOKEN_NOT_PRESENT;
        throw new KeyError(`${description}: signing failed (${e instanceof Error ? e.message : String(e)})`);
      } finally {
        release(session, broken);
      }
    } finally {
      if (--inFlight === 0) drained?.();
    }
  };

  return {
    spki: publicKey.spki,
    algorithmIdentifier: scheme.algorithmIdentifier,
    description,
    sign,
    async close() {
      if (closed) return;
      closed = true;
      if (inFlight > 0) await new Promise<void>((resolve) => (drained = resolve));
      for (const s of pool.splice(0)) closeQuietly(module, s);
      module.release();
    },
  };
}
