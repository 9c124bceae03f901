import assert from 'node:assert/strict';
import { generateKeyPairSync, sign } from 'node:crypto';
import { verifyWithEcPoint, type EcCurve, type EcPointCoordinates } from '../../../ca/ec-point.js';

const CURVES: Record<EcCurve, { readonly openssl: string; readonly hash: EcPointCoordinates['hash'] }> = {
  'P-256': { openssl: 'prime256v1', hash: 'sha256' },
  'P-384': { openssl: 'secp384r1', hash: 'sha384' },
  'P-521': { openssl: 'secp521r1', hash: 'sha512' },
};

function keyOn(curve: EcCurve) {
  const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: CURVES[curve].openssl });
  const jwk = publicKey.export({ format: 'jwk' });
  const point: EcPointCoordinates = { curve, x: jwk.x as string, y: jwk.y as string, hash: CURVES[curve].hash };
  return { point, prove: (message: Buffer, dsaEncoding: 'der' | 'ieee-p1363' = 'der') => sign(CURVES[curve].hash, message, { key: privateKey, dsaEncoding }) };
}

/** P-256's field prime. */
const P256_P = 2n ** 256n - 2n ** 224n + 2n ** 192n + 2n ** 96n - 1n;
const P256_B = 0x5ac635d8aa3a93e7b3ebbd55769886bc651d06b0cc53b0f63bce3c3e27d2604bn;

function modPow(base: bigint, exponent: bigint, m: bigint): bigint {
  let r = 1n;
  for (let b = base % m, e = exponent; e > 0n; e >>= 1n, b = (b * b) % m) if (e & 1n) r = (r * b) % m;
  return r;
}

/** The P-256 point with the smallest x (y² = x³ − 3x + b; p ≡ 3 mod 4, so a square root is a power). */
function smallP256Point(): { x: bigint; y: bigint } {
  for (let x = 1n; ; x++) {
    const rhs = (((x ** 3n - 3n * x + P256_B) % P256_P) + P256_P) % P256_P;
    const y = modPow(rhs, (P256_P + 1n) / 4n, P256_P);
    if ((y * y) % P256_P === rhs) return { x, y };
  }
}

const coordinate = (n: bigint): string => Buffer.from(n.toString(16).padStart(64, '0'), 'hex').toString('base64url');
const message = Buffer.from('repo:acme/app:ref:refs/heads/main');

describe('ca/ec-point: a proof of possession checked with a point given by its coordinates', () => {
  for (const curve of Object.keys(CURVES) as EcCurve[]) {
    it(`verifies ${curve} signatures, DER and raw r||s, and refuses one over another message`, async () => {
      const k = keyOn(curve);
      assert.equal(await verifyWithEcPoint(k.point, message, k.prove(message)), 'verified');
      assert.equal(await verifyWithEcPoint(k.point, message, k.prove(message, 'ieee-p1363')), 'verified');
      assert.equal(await verifyWithEcPoint(k.point, message, k.prove(Buffer.from('someone else'))), 'refused');
      assert.equal(await verifyWithEcPoint(k.point, message, Buffer.alloc(0)), 'refused');
    });
  }

  it('finds a point off its curve: a flipped bit, a coordinate of another curve\'s size, the other curve named', async () => {
    const k = keyOn('P-256');
    const y = Buffer.from(k.point.y, 'base64url');
    y[31]! ^= 1;
    assert.equal(await verifyWithEcPoint({ ...k.point, y: y.toString('base64url') }, message, k.prove(message)), 'not-on-curve');
    const padded = (c: string) => Buffer.concat([Buffer.alloc(16), Buffer.from(c, 'base64url')]).toString('base64url');
    assert.equal(await verifyWithEcPoint({ ...k.point, x: padded(k.point.x), y: padded(k.point.y) }, message, k.prove(message)), 'not-on-curve');
    assert.equal(await verifyWithEcPoint({ ...k.point, curve: 'P-384', hash: 'sha384' }, message, k.prove(message)), 'not-on-curve');
  });

  it('refuses an x coordinate given as itself plus the field prime (the same point modulo p, still 32 bytes)', async () => {
    const { x, y } = smallP256Point();
    const canonical: EcPointCoordinates = { curve: 'P-256', x: coordinate(x), y: coordinate(y), hash: 'sha256' };
    assert.equal(await verifyWithEcPoint(canonical, message, Buffer.alloc(64)), 'refused', 'the canonical point imports (no key signs for it here)');
    assert.equal(await verifyWithEcPoint({ ...canonical, x: coordinate(x + P256_P) }, message, Buffer.alloc(64)), 'not-on-curve');
  });
});
