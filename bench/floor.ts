// The crypto floor of one certificate (DESIGN.md "The cost of one certificate"), measured on this machine with
// node:crypto and pre-parsed keys: one RS256 token signature check (2048-bit RSA), one ECDSA P-256 proof-of-possession
// check, and three ECDSA P-256 signatures (precertificate, SCT, final certificate), single-threaded.
import { createPublicKey, generateKeyPairSync, randomBytes, sign, verify } from 'node:crypto';
import { now } from './util.js';

export interface CryptoFloor {
  readonly rs256VerifyUs: number;
  readonly p256VerifyUs: number;
  readonly p256SignUs: number;
  /** rs256Verify + p256Verify + 3 × p256Sign. */
  readonly perCertUs: number;
  /** 1e6 / perCertUs: certificates per second per core if crypto were the only cost. */
  readonly perCorePerSecond: number;
  /** One ECDSA P-384 / SHA-384 signature, as a P-384 issuing CA makes two per certificate. */
  readonly p384SignUs: number;
  /** The floor with a P-384 CA: rs256Verify + p256Verify + 2 × p384Sign (precertificate, certificate) + p256Sign (SCT). */
  readonly perCertP384Us: number;
  readonly perCorePerSecondP384: number;
}

function perOp(iterations: number, fn: () => void): number {
  for (let i = 0; i < Math.min(200, iterations); i++) fn();
  const t0 = now();
  for (let i = 0; i < iterations; i++) fn();
  return ((now() - t0) / iterations) * 1000;
}

type FloorParts = Pick<CryptoFloor, 'rs256VerifyUs' | 'p256VerifyUs' | 'p256SignUs' | 'p384SignUs'>;

function floorOf(p: FloorParts): CryptoFloor {
  const perCertUs = p.rs256VerifyUs + p.p256VerifyUs + 3 * p.p256SignUs;
  const perCertP384Us = p.rs256VerifyUs + p.p256VerifyUs + 2 * p.p384SignUs + p.p256SignUs;
  return { ...p, perCertUs, perCorePerSecond: 1e6 / perCertUs, perCertP384Us, perCorePerSecondP384: 1e6 / perCertP384Us };
}

/**
 * A meter of the floor with one set of keys (an RSA key takes a while to make), for measuring it again beside each
 * row. P-384 signatures (~1 ms each) run a quarter as many times as the rest.
 */
export function cryptoFloorMeter(): (iterations: number) => CryptoFloor {
  const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const ec = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  const ec384 = generateKeyPairSync('ec', { namedCurve: 'secp384r1' });
  const token = randomBytes(900); // a JWT's signing input is about this long
  const tokenSig = sign('sha256', token, rsa.privateKey);
  const name = Buffer.from('repo:acme/app:ref:refs/heads/main');
  const pop = sign('sha256', name, ec.privateKey);
  const tbs = randomBytes(1100); // a Fulcio TBSCertificate is about this long
  return (iterations) =>
    floorOf({
      rs256VerifyUs: perOp(iterations, () => {
        if (!verify('sha256', token, rsa.publicKey, tokenSig)) throw new Error('rsa verify');
      }),
      p256VerifyUs: perOp(iterations, () => {
        if (!verify('sha256', name, ec.publicKey, pop)) throw new Error('ec verify');
      }),
      p256SignUs: perOp(iterations, () => void sign('sha256', tbs, ec.privateKey)),
      p384SignUs: perOp(Math.max(25, Math.round(iterations / 4)), () => void sign('sha384', tbs, ec384.privateKey)),
    });
}

export const measureCryptoFloor = (iterations = 2000): CryptoFloor => cryptoFloorMeter()(iterations);

/** The mean of two measurements (each operation's time averaged), as a row's floor from before and after it. */
export const meanFloor = (a: CryptoFloor, b: CryptoFloor): CryptoFloor =>
  floorOf({
    rs256VerifyUs: (a.rs256VerifyUs + b.rs256VerifyUs) / 2,
    p256VerifyUs: (a.p256VerifyUs + b.p256VerifyUs) / 2,
    p256SignUs: (a.p256SignUs + b.p256SignUs) / 2,
    p384SignUs: (a.p384SignUs + b.p384SignUs) / 2,
  });

/** The floor per certificate (µs) for a CA key kind, and the certificates per second per core it allows. */
export interface KeyFloor {
  readonly us: number;
  readonly perSecond: number;
}

/** A floor's figures for certificates signed by a P-384 CA (`file-p384`) or a P-256 one (every other kind). */
export const floorForKey = (f: CryptoFloor, caKey: string): KeyFloor =>
  caKey === 'file-p384' ? { us: f.perCertP384Us, perSecond: f.perCorePerSecondP384 } : { us: f.perCertUs, perSecond: f.perCorePerSecond };

/**
 * The CT log's floor for one add-pre-chain entry: one ECDSA P-256 verify of the precertificate's signature by its
 * issuer (over the real TBS) and one P-256 SCT signature (over a leaf-sized input), node:crypto, pre-parsed keys,
 * one thread. Everything else the log does per entry (parsing, the rest of the checks, hashing, storage) is overhead.
 */
export interface LogFloor {
  readonly verifyUs: number;
  readonly sctSignUs: number;
  /** verifyUs + sctSignUs. */
  readonly perEntryUs: number;
  /** 1e6 / perEntryUs: entries per second on one core if these two operations were the only cost. */
  readonly perSecond: number;
  /** The same two operations in CPU time (process.cpuUsage): on a shared machine, steadier than the wall clock. */
  readonly perEntryCpuUs: number;
}

export interface LogFloorSample {
  /** The precertificate's TBSCertificate, its signature (DER ECDSA) and its issuer's SubjectPublicKeyInfo (DER). */
  readonly tbs: Buffer;
  readonly signature: Buffer;
  readonly issuerSpki: Buffer;
  /** Bytes of the MerkleTreeLeaf the SCT signs. */
  readonly leafBytes: number;
}

const cpuUs = (): number => {
  const u = process.cpuUsage();
  return u.user + u.system;
};

/** Wall and CPU µs per call of fn, after a warm-up. */
function perOpWallAndCpu(iterations: number, fn: () => void): { wall: number; cpu: number } {
  for (let i = 0; i < Math.min(200, iterations); i++) fn();
  const c0 = cpuUs();
  const wall = perOp(iterations, fn);
  return { wall, cpu: (cpuUs() - c0) / iterations };
}

export function measureLogFloor(sample: LogFloorSample, iterations = 1500): LogFloor {
  const issuerKey = createPublicKey({ key: sample.issuerSpki, format: 'der', type: 'spki' });
  const logKey = generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).privateKey;
  const leaf = randomBytes(sample.leafBytes);
  const v = perOpWallAndCpu(iterations, () => {
    if (!verify('sha256', sample.tbs, { key: issuerKey, dsaEncoding: 'der' }, sample.signature)) throw new Error('precertificate signature does not verify');
  });
  const s = perOpWallAndCpu(iterations, () => void sign('sha256', leaf, { key: logKey, dsaEncoding: 'der' }));
  const perEntryUs = v.wall + s.wall;
  return { verifyUs: v.wall, sctSignUs: s.wall, perEntryUs, perSecond: 1e6 / perEntryUs, perEntryCpuUs: v.cpu + s.cpu };
}
