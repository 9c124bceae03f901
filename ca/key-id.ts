// Key identifiers (RFC 5280 §4.2.1.2 method 1: SHA-1 of the subjectPublicKey BIT STRING contents).
import { hash } from 'node:crypto';
import { children, parse } from '../lib/der.js';

export function keyIdentifier(spki: Buffer): Buffer {
  const bits = children(parse(spki))[1];
  if (!bits) throw new Error('malformed SubjectPublicKeyInfo');
  return hash('sha1', bits.content.subarray(1), 'buffer');
}
