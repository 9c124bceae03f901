// Client keys whose "proof of possession" needs no private key, and keys in encodings a certificate must not carry,
// built byte by byte. Each comes with the proof a client would send (the forged one where the key allows it).
import { createHash, generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import { bitString, derNull, encodeOid, explicit, octetString, sequence, smallInteger, unsignedInteger } from '../../lib/der.js';
import { toPem } from '../../lib/pem.js';

const RSA_ENCRYPTION = sequence(encodeOid('1.2.840.113549.1.1.1'), derNull());
const SHA256_WITH_RSA = sequence(encodeOid('1.2.840.113549.1.1.11'), derNull());
const ID_EC_PUBLIC_KEY = encodeOid('1.2.840.10045.2.1');
const P256 = encodeOid('1.2.840.10045.3.1.7');
const ED25519 = sequence(encodeOid('1.3.101.112'));

export interface TestKey {
  /** DER SubjectPublicKeyInfo as a client would submit it. */
  readonly spki: Buffer;
  readonly pem: string;
  /** A signature over `message` as the key's scheme wants it (forged where the key needs no private key). */
  signBytes(message: Buffer): Buffer;
  /** The proof of possession over `name`, base64 as the request carries it. */
  prove(name: string): string;
}

const testKey = (spki: Buffer, signBytes: (m: Buffer) => Buffer): TestKey => ({
  spki,
  pem: toPem(spki, 'PUBLIC KEY'),
  signBytes,
  prove: (name) => signBytes(Buffer.from(name, 'utf8')).toString('base64'),
});

/** EMSA-PKCS1-v1_5 (RFC 8017 §9.2) of SHA-256(message), `k` bytes long: with e = 1 it is its own signature. */
export function pkcs1Sha256Encoding(message: Buffer, k: number): Buffer {
  const digestInfo = sequence(sequence(encodeOid('2.16.840.1.101.3.4.2.1'), derNull()), octetString(createHash('sha256').update(message).digest()));
  return Buffer.concat([Buffer.from([0, 1]), Buffer.alloc(k - 3 - digestInfo.length, 0xff), Buffer.from([0]), digestInfo]);
}

let modulus: Buffer | undefined;

/** A real 2048-bit modulus (the product of two primes; one per process) with the given public exponent. */
export function rsaKeyWithExponent(e: bigint, opts: { evenModulus?: boolean } = {}): TestKey {
  modulus ??= Buffer.from(generateKeyPairSync('rsa', { modulusLength: 2048 }).publicKey.export({ format: 'jwk' }).n!, 'base64url');
  const n = Buffer.from(modulus);
  if (opts.evenModulus) n[n.length - 1] = (n[n.length - 1] as number) & 0xfe;
  const eHex = e.toString(16);
  const eBytes = Buffer.from(eHex.length % 2 ? `0${eHex}` : eHex, 'hex');
  const spki = sequence(RSA_ENCRYPTION, bitString(sequence(unsignedInteger(n), unsignedInteger(eBytes))));
  // s = EM makes s^1 mod n = EM: for e = 1 this verifies, for any other exponent it is just wrong.
  return testKey(spki, (m) => pkcs1Sha256Encoding(m, n.length));
}

/** Ed25519 encoding of the identity point (y = 1, x = 0), and the signature R = identity, S = 0 that it "verifies". */
export const ED25519_IDENTITY = Buffer.concat([Buffer.from([1]), Buffer.alloc(31)]);

export const ed25519Spki = (point: Buffer): Buffer => sequence(ED25519, bitString(point));

export function ed25519IdentityKey(): TestKey {
  return testKey(ed25519Spki(ED25519_IDENTITY), () => Buffer.concat([ED25519_IDENTITY, Buffer.alloc(32)]));
}

/** Little-endian 32-byte encoding of y with the x sign bit. */
export function ed25519Encoding(y: bigint, xSign = 0): Buffer {
  const out = Buffer.alloc(32);
  for (let i = 0; i < 32; i++) out[i] = Number((y >> BigInt(8 * i)) & 0xffn);
  out[31] = (out[31] as number) | (xSign << 7);
  return out;
}

const ED25519_P = 2n ** 255n - 19n;
/** y of the two order-8 points as listed in libsodium's small-order blocklist (ed25519_ref10.c); the other is p - y. */
const ORDER_8_Y = 0x05fc536d880238b13933c6d305acdfd5f098eff289f4c345b027b2c28f95e826n;

/**
 * Every encoding of a point of small order: y in {0, 1, p-1, ±y8} with both x signs (where x = 0 is not forced),
 * and the non-canonical y + p for y in {0, 1} (the only ones below 2^255).
 */
export function ed25519SmallOrderEncodings(): { label: string; bytes: Buffer }[] {
  const ys: [string, bigint][] = [
    ['y=0 (order 4)', 0n],
    ['y=1 (identity)', 1n],
    ['y=p-1 (order 2)', ED25519_P - 1n],
    ['y=y8 (order 8)', ORDER_8_Y],
    ['y=p-y8 (order 8)', ED25519_P - ORDER_8_Y],
    ['y=p (non-canonical 0)', ED25519_P],
    ['y=p+1 (non-canonical identity)', ED25519_P + 1n],
  ];
  return ys.flatMap(([label, y]) => [0, 1].map((s) => ({ label: `${label}, x sign ${s}`, bytes: ed25519Encoding(y, s) })));
}

/** A P-256 key pair whose public key is sent with a compressed point (SEC 1 §2.3.3: 02/03 || x). */
export function compressedP256(): TestKey & { readonly uncompressedSpki: Buffer; readonly privateKey: KeyObject } {
  const pair = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  const uncompressedSpki = pair.publicKey.export({ type: 'spki', format: 'der' });
  const point = uncompressedSpki.subarray(uncompressedSpki.length - 65);
  const compressed = Buffer.concat([Buffer.from([2 | ((point[64] as number) & 1)]), point.subarray(1, 33)]);
  const spki = sequence(sequence(ID_EC_PUBLIC_KEY, P256), bitString(compressed));
  return { ...testKey(spki, (m) => sign('sha256', m, pair.privateKey)), uncompressedSpki, privateKey: pair.privateKey };
}

/** P-256 domain parameters (FIPS 186-4 §D.1.2.3), spelled out as SEC 1 ECParameters instead of the curve's OID. */
const P256_EXPLICIT = (() => {
  const hex = (h: string) => Buffer.from(h, 'hex');
  const p = 'ffffffff00000001000000000000000000000000ffffffffffffffffffffffff';
  return sequence(
    smallInteger(1),
    sequence(encodeOid('1.2.840.10045.1.1'), unsignedInteger(hex(p))),
    sequence(
      octetString(hex('ffffffff00000001000000000000000000000000fffffffffffffffffffffffc')),
      octetString(hex('5ac635d8aa3a93e7b3ebbd55769886bc651d06b0cc53b0f63bce3c3e27d2604b')),
    ),
    octetString(
      hex(
        '046b17d1f2e12c4247f8bce6e563a440f277037d812deb33a0f4a13945d898c296' +
          '4fe342e2fe1a7f9b8ee7eb4a7c0f9e162bce33576b315ececbb6406837bf51f5',
      ),
    ),
    unsignedInteger(hex('ffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551')),
    smallInteger(1),
  );
})();

/** A real P-256 key pair whose public key names its curve by explicit parameters, with a real proof. */
export function explicitParamsP256(): TestKey {
  const pair = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  const named = pair.publicKey.export({ type: 'spki', format: 'der' });
  const spki = sequence(sequence(ID_EC_PUBLIC_KEY, P256_EXPLICIT), bitString(named.subarray(named.length - 65)));
  return testKey(spki, (m) => sign('sha256', m, pair.privateKey));
}

/** A PKCS#10 request (RFC 2986) for `key`: empty subject, no attributes, self-signed by `key.signBytes`. */
export function csrPem(key: TestKey, algorithm: 'sha256WithRSA' | 'ecdsaWithSHA256' | 'ed25519'): string {
  const info = sequence(smallInteger(0), sequence(), key.spki, explicit(0, Buffer.alloc(0)));
  const alg =
    algorithm === 'sha256WithRSA' ? SHA256_WITH_RSA : algorithm === 'ed25519' ? ED25519 : sequence(encodeOid('1.2.840.10045.4.3.2'));
  return toPem(sequence(info, alg, bitString(key.signBytes(info))), 'CERTIFICATE REQUEST');
}
