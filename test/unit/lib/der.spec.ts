import assert from 'node:assert/strict';
import { DerError, children, decodeOid, encode, encodeOid, parse, pending, smallInteger, tlv, time, unsignedInteger, decodeTime } from '../../../lib/der.js';

describe('lib/der', () => {
  it('encodes OIDs and reads them back', () => {
    assert.equal(encodeOid('1.3.6.1.4.1.57264.1.8').toString('hex'), '060a2b0601040183bf300108');
    assert.equal(encodeOid('1.3.6.1.4.1.11129.2.4.3').toString('hex'), '060a2b06010401d679020403');
    assert.equal(decodeOid(encodeOid('2.5.29.17').subarray(2)), '2.5.29.17');
  });
  it('reads OID arcs beyond 2^53 exactly (a 2.25 UUID OID) and refuses non-minimal, truncated and empty OIDs', () => {
    for (const oid of ['0.9.2342', '1.39.5', '2.25.329800735698586629295641978511506172918', '2.999.3', '1.2.9007199254740993', '1.2.9007199254740991'])
      assert.equal(decodeOid(encodeOid(oid).subarray(2)), oid);
    assert.throws(() => decodeOid(Buffer.from([0x2a, 0x80, 0x01])), /non-minimal/);
    assert.throws(() => decodeOid(Buffer.from([0x2a, 0x81])), /truncated/);
    assert.throws(() => decodeOid(Buffer.alloc(0)), /empty/);
  });
  it('writes minimal positive integers', () => {
    assert.equal(smallInteger(2).toString('hex'), '020102');
    assert.equal(unsignedInteger(Buffer.from([0, 0, 0x80])).toString('hex'), '02020080');
    assert.equal(unsignedInteger(Buffer.from([0])).toString('hex'), '020100');
  });
  it('writes UTCTime before 2050 and GeneralizedTime after, whole seconds', () => {
    assert.equal(time(new Date('2026-11-27T10:00:00.999Z')).toString('ascii', 2), '261127100000Z');
    assert.equal(time(new Date('2051-01-01T00:00:00Z')).toString('ascii', 2), '20510101000000Z');
    assert.equal(decodeTime(parse(time(new Date('2026-11-27T10:00:00Z')))).toISOString(), '2026-11-27T10:00:00.000Z');
  });
  it('rejects non-DER input', () => {
    assert.throws(() => parse(Buffer.from('3080020100', 'hex')), DerError); // indefinite length
    assert.throws(() => parse(Buffer.from('30810100', 'hex')), DerError); // non-minimal length
    assert.throws(() => parse(Buffer.from('300302010000', 'hex')), DerError); // trailing byte
    assert.throws(() => parse(Buffer.from('3005020100', 'hex')), DerError); // runs past the end
  });
  it('writes a pending structure in one pass, byte for byte what nested tlv calls write, at every length form', () => {
    // Values around each length boundary: short form, then one, two and three length octets.
    for (const size of [0, 1, 127, 128, 255, 256, 65535, 65536]) {
      const leaf = Buffer.alloc(size, 0x5a);
      const other = Buffer.from([0x05, 0x00]);
      const eager = tlv(0x30, [other, tlv(0xa3, tlv(0x30, [leaf, other])), tlv(0x03, [Buffer.from([0]), leaf])]);
      const oneCopy = encode(pending(0x30, [other, pending(0xa3, [pending(0x30, [leaf, other])]), pending(0x03, [Buffer.from([0]), leaf])]));
      assert.deepEqual(oneCopy, eager, `value of ${size} bytes`);
      const top = parse(oneCopy);
      assert.deepEqual(children(top).map((c) => c.tag), [0x05, 0xa3, 0x03]);
    }
    // The length octets themselves, written out by hand (X.690 §8.1.3): short form below 128, then 0x81, 0x82, 0x83.
    const headers: [number, string][] = [[0, '0400'], [127, '047f'], [128, '048180'], [255, '0481ff'], [256, '04820100'], [65535, '0482ffff'], [65536, '0483010000']];
    for (const [size, hex] of headers) assert.equal(encode(pending(0x04, [Buffer.alloc(size)])).subarray(0, hex.length / 2).toString('hex'), hex);
    assert.deepEqual(encode(pending(0x04, [])), Buffer.from([0x04, 0x00]));
    const bytes = Buffer.from([1, 2, 3]);
    const copy = encode(bytes);
    assert.deepEqual(copy, bytes);
    copy[0] = 9;
    assert.equal(bytes[0], 1, 'encoding plain bytes returns a copy');
  });
});
