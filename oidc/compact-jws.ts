// Decoding a compact JWS once: its three base64url segments and its JSON header and payload, with the rules jose
// decodes by (so a token is read here exactly as jose read it before its signature was checked here): a segment is
// "forgiving" base64url (jose calls atob after mapping -_ to +/, so ASCII whitespace and "=" padding pass, + and /
// do not), and a JSON member is strict UTF-8 (a leading byte-order mark is dropped, as TextDecoder does) holding a
// JSON object. Nothing here is verified; oidc/token-verifier.ts decides what a failure is called.
import { isUtf8 } from 'node:buffer';
import { base64url } from 'jose';

/** The canonical form: base64url characters only, and a length a base64url string can have. */
const PLAIN_BASE64URL = /^[A-Za-z0-9_-]*$/;

/** One segment's bytes, or a thrown error when jose would not decode it either. */
export function decodeSegment(segment: string): Uint8Array {
  // The canonical form (every real token) decodes the same with Buffer as with atob, without atob's binary string.
  if (segment.length % 4 !== 1 && PLAIN_BASE64URL.test(segment)) return Buffer.from(segment, 'base64url');
  return base64url.decode(segment);
}

/** The JSON object a segment's bytes hold, or a thrown error (not UTF-8, not JSON, not an object). */
export function parseJsonObject(bytes: Uint8Array): Record<string, unknown> {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (!isUtf8(buf)) throw new TypeError('not UTF-8');
  let text = buf.toString('utf8');
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  const value: unknown = JSON.parse(text);
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new TypeError('not a JSON object');
  return value as Record<string, unknown>;
}
