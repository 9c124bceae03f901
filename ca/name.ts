// Distinguished names for the CA certificates Fulgor creates (leaves have an empty subject).
import { encodeOid, sequence, set, utf8String } from '../lib/der.js';
import { OID } from './oids.js';

export function encodeName(parts: { organization?: string; commonName?: string }): Buffer {
  const rdns: Buffer[] = [];
  if (parts.organization) rdns.push(set(sequence(encodeOid(OID.organization), utf8String(parts.organization))));
  if (parts.commonName) rdns.push(set(sequence(encodeOid(OID.commonName), utf8String(parts.commonName))));
  return sequence(...rdns);
}
