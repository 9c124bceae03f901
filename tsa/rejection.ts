// RFC 3161 refusals: a TsaRejection carries the PKIFailureInfo bit and a client-safe text, and encodes as a
// TimeStampResp with status `rejection` (no token). The HTTP layer answers it with 400 (500 for systemFailure).
import { sequence, smallInteger, tlv, Tag, utf8String } from '../lib/der.js';

/** PKIFailureInfo bit numbers (RFC 3161 §2.4.2). */
export const FAIL_INFO = {
  badAlg: 0,
  badRequest: 2,
  badDataFormat: 5,
  timeNotAvailable: 14,
  unacceptedPolicy: 15,
  unacceptedExtension: 16,
  addInfoNotAvailable: 17,
  systemFailure: 25,
} as const;

export type FailInfo = keyof typeof FAIL_INFO;

/** PKIStatus values (RFC 3161 §2.4.2). */
export const PKI_STATUS = { granted: 0, grantedWithMods: 1, rejection: 2, waiting: 3 } as const;

export class TsaRejection extends Error {
  override readonly name = 'TsaRejection';
  constructor(
    readonly failInfo: FailInfo,
    message: string,
    options: { cause?: unknown } = {},
  ) {
    super(message, options);
  }
  /** 400 for the client's mistakes, 500 for ours. */
  get httpStatus(): number {
    return this.failInfo === 'systemFailure' || this.failInfo === 'timeNotAvailable' ? 500 : 400;
  }
}

/** A named-bit BIT STRING with one bit set, in DER (trailing zero bits dropped). */
function failInfoBits(bit: number): Buffer {
  const bytes = Buffer.alloc((bit >> 3) + 1);
  bytes[bit >> 3] = 0x80 >> (bit & 7);
  const unused = bytes.length * 8 - (bit + 1);
  return tlv(Tag.BIT_STRING, Buffer.concat([Buffer.from([unused]), bytes]));
}

/** PKIStatusInfo: status, an optional free text, an optional failure bit. */
export function statusInfo(status: number, text?: string, failInfo?: FailInfo): Buffer {
  const items = [smallInteger(status)];
  if (text !== undefined) items.push(sequence(utf8String(text)));
  if (failInfo !== undefined) items.push(failInfoBits(FAIL_INFO[failInfo]));
  return sequence(...items);
}

/** TimeStampResp with status rejection, the failure bit and the reason as statusString. */
export const rejectionResponse = (r: TsaRejection): Buffer => sequence(statusInfo(PKI_STATUS.rejection, r.message, r.failInfo));
