import assert from 'node:assert/strict';
import { DerError, decodeOid, encodeOid, parse, smallInteger, time, unsignedInteger, decodeTime } from '../../../lib/der.js';

describe('lib/der', () => {
  it('encodes OIDs and reads them back', () => {
    assert.equal(encodeOid('1.3.6.1.4.1.57264.1.8').toString('hex'), '060a2b0601040183bf300108');
    assert.equal(encodeOid('1.3.6.1.4.1.11129.2.4.3').toString('hex'), '060a2b06010401d679020403');
    assert.equal(decodeOid(encodeOid('2.5.29.17').subarray(2)), '2.5.29.17');
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
});
