// CRC-32 (the zlib / ISO-HDLC one node:zlib's crc32 computes) of a concatenation from the CRCs of its parts, by
// arithmetic on polynomials over GF(2) modulo the CRC polynomial, in the reflected bit order the CRC uses: the file
// store checksums each record once and derives the running CRC of the whole entries file from it, instead of reading
// every record's bytes a second time.

/** The CRC-32 polynomial, reflected. */
const POLY = 0xedb88320;
/** The polynomial 1 (x^0) in the reflected order. */
const ONE = 0x80000000;

/** a(x)·b(x) modulo the CRC polynomial (both reflected). */
function multiply(a: number, b: number): number {
  let product = 0;
  for (let m = ONE; m !== 0; m >>>= 1) {
    if ((a & m) !== 0) {
      product ^= b;
      if ((a & (m - 1)) === 0) break;
    }
    b = b & 1 ? (b >>> 1) ^ POLY : b >>> 1;
  }
  return product >>> 0;
}

/** X2N[k] = x^(2^k) modulo the polynomial (the multiplicative order of x divides 2^32 - 1, so 32 entries cycle). */
const X2N: number[] = [ONE >>> 1];
for (let k = 1; k < 32; k++) X2N.push(multiply(X2N[k - 1]!, X2N[k - 1]!));

/** x^(8·bytes) modulo the polynomial: what appending `bytes` zero bytes multiplies a CRC's register by. */
export function shiftFor(bytes: number): number {
  if (!Number.isSafeInteger(bytes) || bytes < 0) throw new RangeError(`bad length ${bytes}`);
  let p = ONE;
  for (let n = bytes, k = 3; n > 0; n = Math.floor(n / 2), k++) if (n % 2 === 1) p = multiply(X2N[k % 32]!, p);
  return p;
}

/** CRC-32 of A ‖ B, given crc(A), crc(B) and shiftFor(|B|) (compute that once for several parts of one length). */
export const combineWithShift = (crcA: number, crcB: number, shiftB: number): number => (multiply(shiftB, crcA) ^ crcB) >>> 0;

/** CRC-32 of A ‖ B from crc(A), crc(B) and |B|. */
export const crc32Combine = (crcA: number, crcB: number, lengthB: number): number => combineWithShift(crcA, crcB, shiftFor(lengthB));

/** shiftFor(a + b) from shiftFor(a) and shiftFor(b). */
export const addShifts = multiply;
