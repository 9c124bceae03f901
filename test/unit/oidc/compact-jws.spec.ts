// oidc/compact-jws.ts reads segments exactly as jose's decoders (which the token verifier used before) read them:
// the same bytes for what jose decodes, an error for what it refuses, and the same JSON objects.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { base64url, decodeProtectedHeader } from 'jose';
import { decodeSegment, parseJsonObject } from '../../../oidc/compact-jws.js';

/** jose's answer: the bytes, or 'error'. */
const joseDecode = (s: string) => {
  try {
    return Buffer.from(base64url.decode(s));
  } catch {
    return 'error';
  }
};
const ours = (s: string) => {
  try {
    return Buffer.from(decodeSegment(s));
  } catch {
    return 'error';
  }
};

describe('oidc/compact-jws', () => {
  it('decodes every segment as jose does, including padding, whitespace and stray characters', () => {
    const cases = ['', 'A', 'AA', 'AAA', 'AAAA', 'AAAAA', '_-_-', 'QQ==', 'QQ=', 'QQ', 'Q Q', 'Q\tQ\n', 'QQ===', 'Q=Q=', '+/+/', 'a+b', 'ab/c', 'é', 'QQ.', 'QR', 'QR==', '\u00a0QQ'];
    for (let i = 0; i < 300; i++) {
      const b = randomBytes(i % 40).toString('base64url');
      cases.push(b, `${b}=`, `${b}==`, ` ${b}`, `${b.slice(0, 3)}\n${b.slice(3)}`, b.replace(/_/g, '/'), b.slice(1));
    }
    for (const s of cases) assert.deepEqual(ours(s), joseDecode(s), JSON.stringify(s));
  });

  it('parses a JSON object from strict UTF-8, dropping a leading byte-order mark, as jose’s decoders do', () => {
    const seg = (bytes: Buffer) => `${bytes.toString('base64url')}.e30.`;
    const joseHeader = (bytes: Buffer) => {
      try {
        return decodeProtectedHeader(seg(bytes));
      } catch {
        return 'error';
      }
    };
    const ourHeader = (bytes: Buffer) => {
      try {
        return parseJsonObject(bytes);
      } catch {
        return 'error';
      }
    };
    const inputs = ['{"alg":"RS256"}', '\ufeff{"alg":"RS256"}', '\ufeff\ufeff{}', ' {"a":1} ', '[]', 'null', '1', '"x"', '{', '', '{"__proto__":{"x":1}}', '{"a":"\u00e9"}'].map((s) => Buffer.from(s));
    inputs.push(Buffer.from('{"a":"\u00e9"}', 'latin1'), Buffer.from([0x7b, 0x22, 0x61, 0x22, 0x3a, 0x22, 0xed, 0xa0, 0x80, 0x22, 0x7d]), Buffer.from('{"a":1}', 'utf16le'));
    for (const b of inputs) assert.deepEqual(ourHeader(b), joseHeader(b), JSON.stringify(b.toString('latin1')));
  });
});
