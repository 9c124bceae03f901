// The timestamp authority: turns a checked TimestampRequest into a granted TimeStampResp whose TimeStampToken is a
// CMS SignedData (RFC 5652) over a TSTInfo (RFC 3161 §2.4.2), signed through the Signer with the signed attributes
// contentType, messageDigest and signingCertificateV2 (RFC 5816: ESSCertIDv2 with the SHA-256 of the TSA
// certificate). Everything that does not depend on the request is encoded once, at creation.
//
// genTime is written in whole seconds with an accuracy of one second, as sigstore/timestamp-authority does: DER
// drops trailing zeros of fractional seconds ("…05.12Z"), which @sigstore/core (three digits or none) cannot read.
import { createHash, hash as oneShotHash, randomFillSync } from 'node:crypto';
import type { Clock } from '../lib/clock.js';
import { children, decodeOid, encodeOid, explicit, generalizedTime, octetString, parse, sequence, set, smallInteger, Tag, tlv, unsignedInteger } from '../lib/der.js';
import type { Signer } from '../lib/signer.js';
import { extendedKeyUsages, findExtension, parseCertificate, type Certificate } from '../lib/x509.js';
import { certToPem } from '../lib/pem.js';
import { HASH_OID, SIGNATURE_DIGEST, TSA_OID, type HashName } from './oids.js';
import { PKI_STATUS, statusInfo, TsaRejection } from './rejection.js';
import type { TimestampRequest } from './request.js';

export interface TimestampAuthorityOptions {
  readonly signer: Signer;
  /** DER: the TSA certificate first, then the intermediates above it (not the root), as `tsa.pem` holds them. */
  readonly chain: readonly Buffer[];
  /** DER root the chain ends at: served by the certchain route, never put in tokens. */
  readonly root?: Buffer;
  readonly clock: Clock;
  /** The policy OID written into every TSTInfo, and the only one a request may ask for (default 1.3.6.1.4.1.57264.2). */
  readonly policy?: string;
  /** Accuracy stated in every TSTInfo, whole seconds (default 1). */
  readonly accuracySeconds?: number;
}

export interface Timestamp {
  /** The TimeStampResp, DER. */
  readonly der: Buffer;
  /** TSTInfo serialNumber, hex. */
  readonly serial: string;
  readonly genTime: Date;
}

export interface TimestampAuthority {
  readonly policy: string;
  /** The TSA chain as served by GET /api/v1/timestamp/certchain: TSA certificate, intermediates, root (PEM). */
  readonly certChainPem: string;
  /** Grants a timestamp; a signer failure is a TsaRejection systemFailure (its cause kept for the log). */
  timestamp(req: TimestampRequest): Promise<Timestamp>;
}

const SERIAL_BYTES = 16;
/** Serial randomness is drawn from the CSPRNG this many serials at a time (one call costs as much as 16 bytes). */
const SERIALS_PER_FILL = 256;
// Encoded once: OID encoding is the slowest part of building a token.
const OID_TSTINFO = encodeOid(TSA_OID.tstInfo);
const OID_SIGNED_DATA = encodeOid(TSA_OID.signedData);
const OID_MESSAGE_DIGEST = encodeOid(TSA_OID.messageDigest);

/** RFC 3161 §2.3: the TSA certificate has exactly one EKU, id-kp-timeStamping, and it is critical. */
function checkTsaCertificate(der: Buffer, signer: Signer): Certificate {
  const cert = parseCertificate(der);
  if (!cert.spki.equals(signer.spki)) throw new Error('the TSA key does not belong to the TSA certificate (the first one in tsa.pem)');
  const eku = findExtension(cert, '2.5.29.37');
  const purposes = extendedKeyUsages(cert);
  if (!eku?.critical || purposes?.length !== 1 || purposes[0] !== TSA_OID.timeStamping)
    throw new Error('the TSA certificate must have one critical extended key usage, timeStamping (RFC 3161 §2.3)');
  return cert;
}

/** The serialNumber INTEGER of a TBSCertificate (after the [0] version). */
function certificateSerial(tbs: Buffer): Buffer {
  const fields = children(parse(tbs));
  const serial = fields[0]?.tag === 0xa0 ? fields[1] : fields[0];
  if (serial?.tag !== Tag.INTEGER) throw new Error('the TSA certificate has no serial number');
  return serial.raw;
}

const attribute = (oid: Buffer, value: Buffer): Buffer => sequence(oid, set(value));

/** Fresh positive 16-byte serials from a pool of CSPRNG output. */
function serialSource(): () => Buffer {
  const pool = Buffer.alloc(SERIAL_BYTES * SERIALS_PER_FILL);
  let next = pool.length;
  return () => {
    if (next === pool.length) {
      randomFillSync(pool);
      next = 0;
    }
    const serial = Buffer.from(pool.subarray(next, next + SERIAL_BYTES));
    next += SERIAL_BYTES;
    serial[0] = (serial[0]! & 0x7f) | 0x40; // positive, and always 16 bytes
    return serial;
  };
}

/** genTime changes once a second: its encoding is kept for the second it is in. */
function genTimeEncoder(): (d: Date) => Buffer {
  let second = NaN;
  let encoded: Buffer = Buffer.alloc(0);
  return (d) => {
    const s = Math.floor(d.getTime() / 1000);
    if (s !== second) {
      second = s;
      encoded = generalizedTime(d);
    }
    return encoded;
  };
}

/** DER SET OF: elements in ascending order of their encodings. */
const derSetOf = (items: Buffer[]): Buffer => set(...items.sort(Buffer.compare));

export function createTimestampAuthority(o: TimestampAuthorityOptions): TimestampAuthority {
  const leaf = o.chain[0];
  if (!leaf) throw new Error('the TSA chain is empty');
  const cert = checkTsaCertificate(leaf, o.signer);
  const signatureOid = children(parse(o.signer.algorithmIdentifier))[0];
  const digestName: HashName | undefined = signatureOid && SIGNATURE_DIGEST[decodeOid(signatureOid.content)];
  if (!digestName) throw new Error('the TSA signer uses a signature algorithm CMS signing here does not support');
  const digestAlgorithm = sequence(encodeOid(HASH_OID[digestName]));
  const policy = o.policy ?? TSA_OID.defaultPolicy;

  const serial = certificateSerial(cert.tbs);
  const issuerAndSerial = sequence(cert.issuer, serial);
  // SigningCertificateV2 { certs: [ESSCertIDv2 { hashAlgorithm: DEFAULT sha256 (omitted), certHash, issuerSerial }] }
  const essCertId = sequence(
    octetString(createHash('sha256').update(leaf).digest()),
    sequence(sequence(explicit(4, cert.issuer)), serial),
  );
  const fixedAttributes = [
    attribute(encodeOid(TSA_OID.contentType), OID_TSTINFO),
    attribute(encodeOid(TSA_OID.signingCertificateV2), sequence(sequence(essCertId))),
  ];
  const head = Buffer.concat([smallInteger(1), encodeOid(policy)]);
  const accuracy = sequence(smallInteger(o.accuracySeconds ?? 1));
  const tsaName = explicit(0, explicit(4, cert.subject));
  const certificates = tlv(0xa0, o.chain as Buffer[]);
  const certChainPem = [...o.chain, ...(o.root ? [o.root] : [])].map(certToPem).join('');
  const nextSerial = serialSource();
  const encodeGenTime = genTimeEncoder();
  const digest = (data: Buffer): Buffer => oneShotHash(digestName, data, 'buffer') as unknown as Buffer;

  return {
    policy,
    certChainPem,
    async timestamp(req) {
      const serialBytes = nextSerial();
      const serialNumber = unsignedInteger(serialBytes);
      const genTime = o.clock();
      const tstInfo = sequence(
        head,
        req.messageImprint,
        serialNumber,
        encodeGenTime(genTime),
        accuracy,
        ...(req.nonce ? [req.nonce] : []),
        tsaName,
      );
      const messageDigest = attribute(OID_MESSAGE_DIGEST, octetString(digest(tstInfo)));
      const signedAttrs = derSetOf([...fixedAttributes, messageDigest]);
      let signature: Buffer;
      try {
        signature = await o.signer.sign(signedAttrs);
      } catch (e) {
        throw new TsaRejection('systemFailure', 'the TSA could not sign the timestamp', { cause: e });
      }
      // The signed attributes are signed as a SET (0x31) and carried as [0] IMPLICIT.
      const signerInfo = sequence(
        smallInteger(1),
        issuerAndSerial,
        digestAlgorithm,
        tlv(0xa0, parse(signedAttrs).content),
        o.signer.algorithmIdentifier,
        octetString(signature),
      );
      const signedData = sequence(
        smallInteger(3),
        set(digestAlgorithm),
        sequence(OID_TSTINFO, explicit(0, octetString(tstInfo))),
        ...(req.certReq ? [certificates] : []),
        set(signerInfo),
      );
      const token = sequence(OID_SIGNED_DATA, explicit(0, signedData));
      return {
        der: sequence(statusInfo(PKI_STATUS.granted), token),
        serial: serialBytes.toString('hex'),
        genTime,
      };
    },
  };
}
