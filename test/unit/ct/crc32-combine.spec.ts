import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { crc32 } from 'node:zlib';
import { addShifts, combineWithShift, crc32Combine, shiftFor } from '../../../ct/crc32-combine.js';
import { decodeRecord, encodeCommit, encodeRecord, recordBytes, type EntryRecord } from '../../../ct/file-records.js';

describe('ct/crc32-combine', () => {
  it('gives the CRC-32 of a concatenation from the CRCs of its parts, at every split', () => {
    const data = randomBytes(3000);
    for (const split of [0, 1, 3, 4, 7, 8, 100, 1439, 1440, 2048, 2999, 3000]) {
      const a = data.subarray(0, split);
      const b = data.subarray(split);
      assert.equal(crc32Combine(crc32(a), crc32(b), b.length), crc32(data), `split at ${split}`);
    }
    assert.equal(crc32Combine(0, 0, 0), 0);
  });

  it('adds shifts as lengths add', () => {
    const [a, b, c] = [randomBytes(100), randomBytes(1000), randomBytes(37)];
    const shift = addShifts(shiftFor(b.length), shiftFor(c.length));
    assert.equal(combineWithShift(crc32(a), crc32(Buffer.concat([b, c])), shift), crc32(Buffer.concat([a, b, c])));
    assert.throws(() => shiftFor(-1), RangeError);
  });

  it('encodes a commit whose CRC is that of its bytes, each record as encodeRecord writes it', () => {
    const entries: EntryRecord[] = Array.from({ length: 5 }, (_, i) => ({
      timestamp: 2 ** 40 + i * 2 ** 33 + i,
      leafHash: randomBytes(32),
      dedupKey: randomBytes(i === 2 ? 5 : 32),
      leafInput: randomBytes(200 + 300 * i),
      extraData: randomBytes(i === 3 ? 0 : 900),
    }));
    const total = entries.reduce((n, e) => n + recordBytes(e), 0);
    const buf = Buffer.alloc(total);
    const { starts, crc } = encodeCommit(entries, buf);
    assert.equal(crc, crc32(buf));
    const alone = Buffer.alloc(total);
    entries.forEach((e, i) => encodeRecord(e, alone, starts[i]!, total - starts[i]!));
    assert.ok(alone.equals(buf));
    entries.forEach((e, i) => {
      const decoded = decodeRecord(buf, starts[i]!);
      assert.ok(decoded, `record ${i} decodes and passes its checksum`);
      assert.deepEqual(decoded.record, e);
      assert.equal(decoded.commitRest, total - starts[i]!);
    });
    assert.throws(() => encodeCommit([{ ...entries[0]!, timestamp: -1 }], Buffer.alloc(recordBytes(entries[0]!))), RangeError);
  });
});
