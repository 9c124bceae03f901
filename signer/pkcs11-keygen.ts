// Key generation inside a token (`ca init --ca-key pkcs11:...`): the private key is created with CKA_TOKEN,
// CKA_PRIVATE, CKA_SENSITIVE and not CKA_EXTRACTABLE, so it never exists outside the token. Label and id come from
// the URI (a random 16-byte id when the URI gives none); an existing key with that label or id is never replaced.
import { randomBytes } from 'node:crypto';
import { algorithmSpec, type KeyAlgorithm } from './algorithm.js';
import { encodeOid } from '../lib/der.js';
import { KeyError } from './errors.js';
import { parseKeyUri, type Pkcs11KeyRef } from './key-uri.js';
import type { Attribute } from './pkcs11-module.js';
import { tokenPublicKey } from './pkcs11-public-key.js';
import { closeQuietly, describeKey, findObjects, openToken } from './pkcs11-token.js';
import type { SecretOptions } from './secrets.js';

export interface GeneratedTokenKey {
  /** DER SubjectPublicKeyInfo of the new key. */
  readonly spki: Buffer;
  /** CKA_ID of both halves (the URI's, or the one generated). */
  readonly id: Buffer;
}

export async function generatePkcs11KeyPair(uri: string | Pkcs11KeyRef, algorithm: KeyAlgorithm, secrets: SecretOptions = {}): Promise<GeneratedTokenKey> {
  const ref = typeof uri === 'string' ? parseKeyUri(uri) : uri;
  if (ref.kind !== 'pkcs11') throw new KeyError(`${ref.display} is not a pkcs11: URI`);
  if (ref.object === undefined) throw new KeyError(`${ref.display}: a key generated in a token needs a label (object=...)`);
  const token = await openToken(ref, secrets, { readWrite: true });
  const { module } = token;
  const { ck } = module;
  try {
    const id = ref.id ?? randomBytes(16);
    for (const [attr, value, what] of [
      [ck.CKA_LABEL, ref.object, `labelled ${JSON.stringify(ref.object)}`],
      [ck.CKA_ID, id, `with id ${id.toString('hex')}`],
    ] as const) {
      if (findObjects(module, token.session, [{ type: attr, value }], 1).length > 0)
        throw new KeyError(`${token.where} already holds an object ${what}; refusing to replace it (choose another object= or id=)`);
    }
    const spec = algorithmSpec(algorithm);
    const common = (cls: number): Attribute[] => [
      { type: ck.CKA_CLASS, value: cls },
      { type: ck.CKA_KEY_TYPE, value: spec.kind === 'ec' ? ck.CKK_EC : ck.CKK_RSA },
      { type: ck.CKA_TOKEN, value: true },
      { type: ck.CKA_LABEL, value: ref.object! },
      { type: ck.CKA_ID, value: id },
    ];
    const publicTemplate: Attribute[] = [
      ...common(ck.CKO_PUBLIC_KEY),
      { type: ck.CKA_PRIVATE, value: false },
      { type: ck.CKA_VERIFY, value: true },
      ...(spec.kind === 'ec'
        ? [{ type: ck.CKA_EC_PARAMS, value: encodeOid(spec.curveOid) }]
        : [
            { type: ck.CKA_MODULUS_BITS, value: spec.bits },
            { type: ck.CKA_PUBLIC_EXPONENT, value: Buffer.from([1, 0, 1]) },
          ]),
    ];
    const privateTemplate: Attribute[] = [
      ...common(ck.CKO_PRIVATE_KEY),
      { type: ck.CKA_PRIVATE, value: true },
      { type: ck.CKA_SENSITIVE, value: true },
      { type: ck.CKA_EXTRACTABLE, value: false },
      { type: ck.CKA_SIGN, value: true },
    ];
    const mechanism = { mechanism: spec.kind === 'ec' ? ck.CKM_EC_KEY_PAIR_GEN : ck.CKM_RSA_PKCS_KEY_PAIR_GEN };
    let pair;
    try {
      pair = await module.api.C_GenerateKeyPairAsync(token.session, mechanism, publicTemplate, privateTemplate);
    } catch (e) {
      throw new KeyError(`${token.where}: generating an ${algorithm} key failed (${e instanceof Error ? e.message : String(e)})`);
    }
    const { spki } = tokenPublicKey(module, token.session, pair.privateKey, `${token.where} key ${describeKey({ object: ref.object, id })}`);
    return { spki, id };
  } finally {
    closeQuietly(module, token.session);
    module.release();
  }
}
