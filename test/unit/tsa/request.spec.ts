// TimeStampReq parsing: requests written by pkijs (an independent encoder) and hand-made bad ones, each refusal with
// the PKIFailureInfo RFC 3161 names for it; and sigstore/timestamp-authority's JSON request.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { encodeOid, octetString, sequence, smallInteger, tlv } from '../../../lib/der.js';
import { parseJsonRequest, parseTimestampQuery, TsaRejection, type FailInfo } from '../../../tsa/index.js';
import { timestampQuery } from '../../helpers/timestamp.js';

const POLICY = '1.3.6.1.4.1.57264.2';
const ACCEPTED = [POLICY];
const SHA256 = '2.16.840.1.101.3.4.2.1';
const digest = (alg: string) => createHash(alg).update('artifact').digest();

function rejects(fn: () => unknown, failInfo: FailInfo, message?: RegExp): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof TsaRejection, `a TsaRejection, got ${String(e)}`);
    assert.equal(e.failInfo, failInfo, e.message);
    assert.equal(e.httpStatus, 400);
    if (message) assert.match(e.message, message);
    return true;
  });
}

describe('tsa/request: TimeStampReq (DER)', () => {
  for (const hash of ['sha256', 'sha384', 'sha512'] as const) {
    it(`reads a ${hash} imprint, nonce, certReq and policy`, () => {
      const der = timestampQuery({ hash, nonce: 0x1234567, certReq: true, policy: POLICY });
      const req = parseTimestampQuery(der, ACCEPTED);
      assert.equal(req.hash, hash);
      assert.deepEqual(req.digest, digest(hash));
      assert.equal(req.certReq, true);
      assert.equal(req.policy, POLICY);
      assert.deepEqual(req.nonce, Buffer.from([0x02, 0x04, 0x01, 0x23, 0x45, 0x67]));
      assert.ok(der.includes(req.messageImprint), 'the imprint is the request bytes, to be echoed');
    });
  }

  it('certReq and nonce are optional', () => {
    const req = parseTimestampQuery(timestampQuery(), ACCEPTED);
    assert.equal(req.certReq, false);
    assert.equal(req.nonce, undefined);
    assert.equal(req.policy, undefined);
  });

  it('accepts an explicit certReq FALSE and NULL hash parameters (written by some clients)', () => {
    const imprint = sequence(sequence(encodeOid(SHA256), Buffer.from([0x05, 0x00])), octetString(digest('sha256')));
    const req = parseTimestampQuery(sequence(smallInteger(1), imprint, Buffer.from([0x01, 0x01, 0x00])), ACCEPTED);
    assert.equal(req.certReq, false);
    assert.equal(req.hash, 'sha256');
  });

  const imprint256 = sequence(sequence(encodeOid(SHA256)), octetString(digest('sha256')));
  const table: Array<[string, () => Buffer, FailInfo, RegExp?]> = [
    ['not DER at all', () => Buffer.from('hello, timestamp'), 'badDataFormat', /malformed/],
    ['an empty body', () => Buffer.alloc(0), 'badDataFormat'],
    ['trailing bytes', () => Buffer.concat([timestampQuery(), Buffer.from([0])]), 'badDataFormat'],
    ['a truncated request', () => timestampQuery().subarray(0, 20), 'badDataFormat'],
    ['no messageImprint', () => sequence(smallInteger(1)), 'badDataFormat'],
    ['a non-minimal nonce', () => sequence(smallInteger(1), imprint256, tlv(0x02, Buffer.from([0, 1]))), 'badDataFormat'],
    ['fields out of order', () => sequence(smallInteger(1), imprint256, Buffer.from([0x01, 0x01, 0xff]), smallInteger(5)), 'badDataFormat'],
    ['hash parameters that are not NULL', () => sequence(smallInteger(1), sequence(sequence(encodeOid(SHA256), smallInteger(1)), octetString(digest('sha256')))), 'badDataFormat'],
    ['version 2', () => timestampQuery({ version: 2 }), 'badRequest', /version 1/],
    ['SHA-1', () => timestampQuery({ hash: 'sha1' }), 'badAlg', /1\.3\.14\.3\.2\.26/],
    ['MD5', () => sequence(smallInteger(1), sequence(sequence(encodeOid('1.2.840.113549.2.5')), octetString(Buffer.alloc(16)))), 'badAlg'],
    ['a SHA-256 digest of 31 bytes', () => timestampQuery({ digest: Buffer.alloc(31) }), 'badDataFormat', /32 bytes, not 31/],
    ['a SHA-512 algorithm with a SHA-256 digest', () => timestampQuery({ hash: 'sha512', digest: digest('sha256') }), 'badDataFormat', /64 bytes, not 32/],
    ['a policy this TSA does not offer', () => timestampQuery({ policy: '1.2.3.4' }), 'unacceptedPolicy', /1\.2\.3\.4/],
    ['request extensions', () => timestampQuery({ extensions: true }), 'unacceptedExtension'],
  ];
  for (const [what, der, failInfo, message] of table) it(`refuses ${what}: ${failInfo}`, () => rejects(() => parseTimestampQuery(der(), ACCEPTED), failInfo, message));
});

describe('tsa/request: the JSON request of sigstore/timestamp-authority', () => {
  const b64 = (b: Buffer) => b.toString('base64');

  it('reads artifactHash, hashAlgorithm (any case), nonce, certificates and tsaPolicyOID', () => {
    const req = parseJsonRequest(
      JSON.stringify({ artifactHash: b64(digest('sha384')), hashAlgorithm: 'SHA384', nonce: 42, certificates: true, tsaPolicyOID: POLICY }),
      ACCEPTED,
    );
    assert.equal(req.hash, 'sha384');
    assert.deepEqual(req.digest, digest('sha384'));
    assert.deepEqual(req.nonce, Buffer.from([0x02, 0x01, 42]));
    assert.equal(req.certReq, true);
    assert.equal(req.policy, POLICY);
    // The imprint it builds is the one pkijs writes for the same digest (absent parameters).
    assert.ok(timestampQuery({ hash: 'sha384' }).includes(req.messageImprint));
  });

  it('keeps every digit of a nonce too large for a double, as a number or a string, and two-complement signs', () => {
    const big = '18446744073709551617'; // 2^64 + 1
    const expected = Buffer.from('0209010000000000000001', 'hex');
    const base = { artifactHash: b64(digest('sha256')), hashAlgorithm: 'sha256' };
    assert.deepEqual(parseJsonRequest(`{"artifactHash":"${base.artifactHash}","hashAlgorithm":"sha256","nonce":${big}}`, ACCEPTED).nonce, expected);
    assert.deepEqual(parseJsonRequest(JSON.stringify({ ...base, nonce: big }), ACCEPTED).nonce, expected);
    assert.deepEqual(parseJsonRequest(JSON.stringify({ ...base, nonce: 128 }), ACCEPTED).nonce, Buffer.from('02020080', 'hex'));
    assert.deepEqual(parseJsonRequest(JSON.stringify({ ...base, nonce: -129 }), ACCEPTED).nonce, Buffer.from('0202ff7f', 'hex'));
    assert.equal(parseJsonRequest(JSON.stringify({ ...base, extra: 'ignored, as the Go service ignores it' }), ACCEPTED).certReq, false);
  });

  const ok = { artifactHash: b64(digest('sha256')), hashAlgorithm: 'sha256' };
  const table: Array<[string, string, FailInfo]> = [
    ['not JSON', '{"artifactHash":', 'badDataFormat'],
    ['an array', '[]', 'badDataFormat'],
    ['no artifactHash (the old `artifact` field is not read)', JSON.stringify({ hashAlgorithm: 'sha256', artifact: 'eA==' }), 'badDataFormat'],
    ['sha1', JSON.stringify({ ...ok, hashAlgorithm: 'sha1' }), 'badAlg'],
    ['no hashAlgorithm', JSON.stringify({ artifactHash: ok.artifactHash }), 'badAlg'],
    ['an artifactHash that is not base64', JSON.stringify({ ...ok, artifactHash: 'not base64!' }), 'badDataFormat'],
    ['a digest of the wrong length', JSON.stringify({ ...ok, hashAlgorithm: 'sha512' }), 'badDataFormat'],
    ['a fractional nonce', JSON.stringify({ ...ok, nonce: 1.5 }), 'badDataFormat'],
    ['a non-boolean certificates', JSON.stringify({ ...ok, certificates: 'yes' }), 'badDataFormat'],
    ['a malformed policy', JSON.stringify({ ...ok, tsaPolicyOID: 'policy' }), 'badDataFormat'],
    ['a policy this TSA does not offer', JSON.stringify({ ...ok, tsaPolicyOID: '1.2.3' }), 'unacceptedPolicy'],
  ];
  for (const [what, body, failInfo] of table) it(`refuses ${what}: ${failInfo}`, () => rejects(() => parseJsonRequest(body, ACCEPTED), failInfo));
});
