// The SubjectPublicKeyInfo of a key in a token, built from its public attributes: EC from CKA_EC_PARAMS (the curve
// OID) and CKA_EC_POINT (an OCTET STRING wrapping the uncompressed point, or the bare point on some tokens); RSA
// from CKA_MODULUS and CKA_PUBLIC_EXPONENT. Read from the public key object with the private key's CKA_ID (or
// label), or, for RSA, from the private key itself.
import { bitString, derNull, encodeOid, parse, sequence, Tag, unsignedInteger } from '../lib/der.js';
import { KeyError } from './errors.js';
import type { Handle, Pkcs11Module } from './pkcs11-module.js';
import { attribute, findObjects, ulong } from './pkcs11-token.js';

const EC_PUBLIC_KEY = '1.2.840.10045.2.1';
const RSA_ENCRYPTION = '1.2.840.113549.1.1.1';
/** Curve OID (DER, as in CKA_EC_PARAMS) → coordinate size in bytes. */
const CURVE_SIZES = new Map<string, number>([
  [encodeOid('1.2.840.10045.3.1.7').toString('hex'), 32],
  [encodeOid('1.3.132.0.34').toString('hex'), 48],
  [encodeOid('1.3.132.0.35').toString('hex'), 66],
]);

export interface TokenPublicKey {
  readonly spki: Buffer;
  readonly keyType: 'ec' | 'rsa';
  /** Signature length in bytes: 2 × coordinate size (raw r||s) for EC, the modulus length for RSA. */
  readonly signatureLength: number;
}

export function ecSpki(ecParams: Buffer, ecPoint: Buffer, what: string): TokenPublicKey {
  const size = CURVE_SIZES.get(ecParams.toString('hex'));
  if (size === undefined) throw new KeyError(`${what}: unsupported EC curve (CKA_EC_PARAMS ${ecParams.toString('hex')}); use P-256, P-384 or P-521`);
  let point = ecPoint;
  if (!(point.length === 2 * size + 1 && point[0] === 0x04)) {
    try {
      const node = parse(ecPoint);
      if (node.tag !== Tag.OCTET_STRING) throw new Error('not an OCTET STRING');
      point = node.content;
    } catch {
      throw new KeyError(`${what}: CKA_EC_POINT is neither an OCTET STRING nor an EC point`);
    }
  }
  if (!(point.length === 2 * size + 1 && point[0] === 0x04)) throw new KeyError(`${what}: CKA_EC_POINT is not an uncompressed point on its curve`);
  return { spki: sequence(sequence(encodeOid(EC_PUBLIC_KEY), ecParams), bitString(point)), keyType: 'ec', signatureLength: 2 * size };
}

export function rsaSpki(modulus: Buffer, exponent: Buffer): TokenPublicKey {
  let n = modulus;
  while (n.length > 1 && n[0] === 0) n = n.subarray(1);
  return {
    spki: sequence(sequence(encodeOid(RSA_ENCRYPTION), derNull()), bitString(sequence(unsignedInteger(modulus), unsignedInteger(exponent)))),
    keyType: 'rsa',
    signatureLength: n.length,
  };
}

/** The public key of `privateKey`: from its public key object, else (RSA) from the private key's own attributes. */
export function tokenPublicKey(module: Pkcs11Module, session: Handle, privateKey: Handle, what: string): TokenPublicKey {
  const { ck } = module;
  const keyType = ulong(attribute(module, session, privateKey, ck.CKA_KEY_TYPE));
  if (keyType !== ck.CKK_EC && keyType !== ck.CKK_RSA)
    throw new KeyError(`${what}: unsupported key type (CKA_KEY_TYPE ${keyType}); Fulgor signs with EC (P-256, P-384) and RSA keys in tokens`);
  const id = attribute(module, session, privateKey, ck.CKA_ID);
  const label = attribute(module, session, privateKey, ck.CKA_LABEL);
  const template = [{ type: ck.CKA_CLASS, value: ck.CKO_PUBLIC_KEY }, { type: ck.CKA_KEY_TYPE, value: keyType }];
  const publics = id?.length
    ? findObjects(module, session, [...template, { type: ck.CKA_ID, value: id }], 2)
    : label?.length
      ? findObjects(module, session, [...template, { type: ck.CKA_LABEL, value: label }], 2)
      : [];
  if (publics.length > 1) throw new KeyError(`${what}: several public key objects share its ${id?.length ? 'id' : 'label'}`);
  const pub = publics[0];
  if (keyType === ck.CKK_RSA) {
    const from = pub ?? privateKey;
    const modulus = attribute(module, session, from, ck.CKA_MODULUS);
    const exponent = attribute(module, session, from, ck.CKA_PUBLIC_EXPONENT);
    if (!modulus || !exponent) throw new KeyError(`${what}: its RSA modulus and exponent cannot be read`);
    return rsaSpki(modulus, exponent);
  }
  if (!pub)
    throw new KeyError(`${what}: no public key object with the same ${id?.length ? 'id' : 'label'}; import the public key into the token too`);
  const params = attribute(module, session, pub, ck.CKA_EC_PARAMS);
  const point = attribute(module, session, pub, ck.CKA_EC_POINT);
  if (!params || !point) throw new KeyError(`${what}: its public key object lacks CKA_EC_PARAMS or CKA_EC_POINT`);
  return ecSpki(params, point, what);
}
