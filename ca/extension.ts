// One X.509 Extension in strict DER: critical is written only when true (DER omits the DEFAULT FALSE).
import { boolean, encodeOid, octetString, sequence } from '../lib/der.js';

export function extension(oid: string, value: Uint8Array, critical = false): Buffer {
  return critical
    ? sequence(encodeOid(oid), boolean(true), octetString(value))
    : sequence(encodeOid(oid), octetString(value));
}
