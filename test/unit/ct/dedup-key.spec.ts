import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { dedupKey, dedupKeyOfLeaf } from '../../../ct/log.js';
import { merkleTreeLeaf, type SignedEntry } from '../../../ct/structures.js';

describe('ct/log dedup keys', () => {
  it('reads the same dedup key off a leaf as from its entry (x509 and precert, with leaf extensions)', () => {
    const ikh = createHash('sha256').update('issuer').digest();
    const entries: SignedEntry[] = [
      { type: 'x509', certificate: Buffer.alloc(700, 0x5a) },
      { type: 'precert', issuerKeyHash: ikh, tbsCertificate: Buffer.alloc(1200, 0xa5) },
    ];
    for (const entry of entries) {
      const leaf = merkleTreeLeaf({ timestamp: 1767323045123, entry, extensions: Buffer.from('0102', 'hex') });
      assert.ok(dedupKeyOfLeaf(leaf).equals(dedupKey(entry)), entry.type);
    }
  });

  it('refuses a leaf cut short inside its entry', () => {
    const leaf = merkleTreeLeaf({ timestamp: 1, entry: { type: 'x509', certificate: Buffer.alloc(100, 1) }, extensions: Buffer.alloc(0) });
    assert.throws(() => dedupKeyOfLeaf(leaf.subarray(0, 50)), RangeError);
  });
});
