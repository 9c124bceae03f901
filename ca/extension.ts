// One X.509 Extension in strict DER: critical is written only when true (DER omits the DEFAULT FALSE).
import { boolean, encodeOid, octetString, sequence } from '../lib/der.js';

/** The few extension OIDs a certificate carries, encoded once each (encodeOid's arithmetic showed in profiles). */
const oidCache = new Map<string, Buffer>();
function oidDer(oid: string): Buffer {
  let der = oidCache.get(oid);
  if (der === undefined) {
    der = encodeOid(oid);
    if (oidCache.size < 256) oidCache.set(oid, der);
  }
  return der;
}

export function extension(oid: string, value: Uint8Array, critical = false): Buffer {
  return critical ? sequence(oidDer(oid), boolean(true), octetString(value)) : sequence(oidDer(oid), octetString(value));
}
