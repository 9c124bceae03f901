// Issuance: a Principal and a public key become a precertificate (poison last), then the final certificate (the
// SCT list in the poison's place). Both share every TBS byte but that last extension, as RFC 6962 requires.
import { randomBytes } from 'node:crypto';
import { derNull, encodeOid, implicitPrimitive, octetString, sequence, tlv, unsignedInteger } from '../lib/der.js';
import type { Clock } from '../lib/clock.js';
import type { Principal } from '../oidc/principal.js';
import type { CertifiedKey } from './client-key.js';
import { extension } from './extension.js';
import type { IssuingCa } from './issuing-ca.js';
import { keyIdentifier } from './key-id.js';
import { describeLeafIdentity, encodeLeafIdentity } from './leaf-identity.js';
import { OID } from './oids.js';
import { EMPTY_NAME, encodeTbsHead, signTbs, tbsWith, type TbsParts } from './tbs.js';

export const LEAF_LIFETIME_SECONDS = 600;

const KEY_USAGE = extension(OID.keyUsage, bitStringWithUnused(0x80, 7), true);
const EXT_KEY_USAGE = extension(OID.extKeyUsage, sequence(encodeOid(OID.codeSigning)));
const POISON = extension(OID.ctPoison, derNull(), true);

function bitStringWithUnused(byte: number, unused: number): Buffer {
  return tlv(0x03, Buffer.from([unused, byte]));
}

export interface Precertificate {
  readonly der: Buffer;
  /** The TBS parts minus the last extension, kept to build the final certificate. */
  readonly parts: TbsParts;
  /** The TBS fields before the extensions as encoded (ca/tbs.ts encodeTbsHead): the final certificate reuses the bytes. */
  readonly head: Buffer;
}

export interface CertificateAuthority {
  /** [issuing CA, ..., root], DER. */
  readonly chain: readonly Buffer[];
  /** Only a checked key is certified, and its canonical SPKI is what the certificate carries. */
  precertificate(principal: Principal, key: CertifiedKey): Promise<Precertificate>;
  /**
   * The same, for an identity already encoded (the SAN and Fulcio extensions as ca/leaf-identity.ts encodeLeafIdentity
   * gives them): issuance writes exactly what the decision core (decision/decide.ts) decided.
   */
  precertificateWith(identity: readonly Buffer[], key: CertifiedKey): Promise<Precertificate>;
  /** `sctList` is the TLS-encoded SignedCertificateTimestampList. */
  finalize(pre: Precertificate, sctList: Buffer): Promise<Buffer>;
}

export interface AuthorityOptions {
  readonly clock: Clock;
  readonly random?: (n: number) => Buffer;
}

/**
 * randomBytes(n) drawn from a pool of RANDOM_POOL_BYTES: one call into OpenSSL's CSPRNG per ~200 serials rather than
 * one per serial (the call's set-up cost several times the 20 bytes' generation). Each answer is a copy of bytes
 * no other answer has had.
 */
const RANDOM_POOL_BYTES = 4096;
let pool = Buffer.alloc(0);
let poolAt = 0;
function pooledRandomBytes(n: number): Buffer {
  if (n > RANDOM_POOL_BYTES) return randomBytes(n);
  if (poolAt + n > pool.length) {
    pool = randomBytes(RANDOM_POOL_BYTES);
    poolAt = 0;
  }
  const out = Buffer.from(pool.subarray(poolAt, poolAt + n));
  poolAt += n;
  return out;
}

/** A positive serial of exactly 20 octets (159 random-ish bits, top bits fixed to keep it positive and full). */
function serialNumber(random: (n: number) => Buffer): Buffer {
  const bytes = random(20);
  bytes[0] = ((bytes[0] as number) & 0x7f) | 0x40;
  return unsignedInteger(bytes);
}

export function createCertificateAuthority(ca: IssuingCa, opts: AuthorityOptions): CertificateAuthority {
  const random = opts.random ?? pooledRandomBytes;
  const aki = extension(OID.authorityKeyIdentifier, sequence(implicitPrimitive(0, ca.keyId)));
  const precertificateWith = async (identity: readonly Buffer[], { spki }: CertifiedKey): Promise<Precertificate> => {
    const now = Math.floor(opts.clock().getTime() / 1000) * 1000;
    const parts: TbsParts = {
      serial: serialNumber(random),
      signatureAlgorithm: ca.signer.algorithmIdentifier,
      issuer: ca.subject,
      notBefore: new Date(now),
      notAfter: new Date(now + LEAF_LIFETIME_SECONDS * 1000),
      subject: EMPTY_NAME,
      spki,
      extensions: [
        KEY_USAGE,
        EXT_KEY_USAGE,
        extension(OID.subjectKeyIdentifier, octetString(keyIdentifier(spki))),
        aki,
        ...identity,
      ],
    };
    const head = encodeTbsHead(parts);
    const der = await signTbs(tbsWith(head, [...parts.extensions, POISON]), ca.signer);
    return { der, parts, head };
  };
  return {
    chain: ca.chain,
    precertificate: async (principal, key) => precertificateWith(encodeLeafIdentity(describeLeafIdentity(principal)), key),
    precertificateWith,
    async finalize(pre, sctList) {
      const sctExtension = extension(OID.ctSctList, octetString(sctList));
      return signTbs(tbsWith(pre.head, [...pre.parts.extensions, sctExtension]), ca.signer);
    },
  };
}

