// An independent RFC 3161 client for tests: pkijs (not our DER code) writes TimeStampReq and reads TimeStampResp.
import { createHash } from 'node:crypto';
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';

const HASH_OIDS = { sha256: '2.16.840.1.101.3.4.2.1', sha384: '2.16.840.1.101.3.4.2.2', sha512: '2.16.840.1.101.3.4.2.3', sha1: '1.3.14.3.2.26' } as const;

export interface QueryOptions {
  readonly hash?: keyof typeof HASH_OIDS;
  /** The digest to send (default: the hash of `data`). */
  readonly digest?: Buffer;
  readonly data?: Buffer;
  readonly nonce?: number;
  readonly certReq?: boolean;
  readonly policy?: string;
  readonly version?: number;
  readonly extensions?: boolean;
}

/** A DER TimeStampReq built by pkijs. */
export function timestampQuery(o: QueryOptions = {}): Buffer {
  const hash = o.hash ?? 'sha256';
  const digest = o.digest ?? createHash(hash).update(o.data ?? Buffer.from('artifact')).digest();
  const req = new pkijs.TimeStampReq({
    version: o.version ?? 1,
    messageImprint: new pkijs.MessageImprint({
      hashAlgorithm: new pkijs.AlgorithmIdentifier({ algorithmId: HASH_OIDS[hash] }),
      hashedMessage: new asn1js.OctetString({ valueHex: digest }),
    }),
    certReq: o.certReq ?? false,
    ...(o.nonce !== undefined ? { nonce: new asn1js.Integer({ value: o.nonce }) } : {}),
    ...(o.policy ? { reqPolicy: o.policy } : {}),
    ...(o.extensions
      ? { extensions: [new pkijs.Extension({ extnID: '1.2.3.4', critical: false, extnValue: new asn1js.Null().toBER() })] }
      : {}),
  });
  return Buffer.from(req.toSchema().toBER());
}

export interface ParsedResponse {
  readonly resp: pkijs.TimeStampResp;
  readonly status: number;
  /** The PKIFailureInfo bit that is set, if any. */
  readonly failBit?: number;
  readonly statusText?: string;
  readonly signedData?: pkijs.SignedData;
  readonly tstInfo?: pkijs.TSTInfo;
}

export function readTimestampResponse(der: Buffer): ParsedResponse {
  const asn1 = asn1js.fromBER(new Uint8Array(der).buffer);
  if (asn1.offset === -1) throw new Error('not BER');
  const resp = new pkijs.TimeStampResp({ schema: asn1.result });
  const si = resp.status;
  let failBit: number | undefined;
  if (si.failInfo) {
    const bytes = Buffer.from(si.failInfo.valueBlock.valueHexView);
    for (let i = 0; i < bytes.length * 8; i++) if (bytes[i >> 3]! & (0x80 >> (i & 7))) failBit = failBit ?? i;
  }
  const statusText = si.statusStrings?.map((s) => s.valueBlock.value).join(' ');
  if (!resp.timeStampToken) return { resp, status: si.status, ...(failBit !== undefined ? { failBit } : {}), ...(statusText ? { statusText } : {}) };
  const signedData = new pkijs.SignedData({ schema: resp.timeStampToken.content });
  const eContent = signedData.encapContentInfo.eContent!;
  const tstAsn1 = asn1js.fromBER(eContent.valueBlock.valueHexView.slice().buffer);
  const tstInfo = new pkijs.TSTInfo({ schema: tstAsn1.result });
  return { resp, status: si.status, signedData, tstInfo };
}
