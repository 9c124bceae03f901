// One X.509 Extension in strict DER: critical is written only when true (DER omits the DEFAULT FALSE).
import { boolean, encode, encodeOid, pending, Tag } from '../lib/der.js';

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

const CRITICAL = boolean(true);

export function extension(oid: string, value: Uint8Array, critical = false): Buffer {
  const octets = pending(Tag.OCTET_STRING, [value]);
  return encode(pending(Tag.SEQUENCE, critical ? [oidDer(oid), CRITICAL, octets] : [oidDer(oid), octets]));
}
