// Signed tree heads a test saw over a log's life, checked against the latest one: sizes and times only move forward
// (the latest itself may have been seen before),
// one size has one root, and every earlier head is consistent with the latest (RFC 6962 consistency proofs).
// Resolves to the number of distinct tree sizes seen.
import assert from 'node:assert/strict';
import { verifyConsistency } from '../../ct/merkle.js';
import type { TreeHead } from '../../ct/verify.js';

export async function assertSthHistoryConsistent(
  sths: readonly TreeHead[],
  latest: TreeHead,
  getSthConsistency: (first: number, second: number) => Promise<Buffer[]>,
): Promise<number> {
  const seen = new Map<number, TreeHead>();
  for (const old of sths) {
    assert.ok(old.treeSize <= latest.treeSize, `the tree only grows: an STH of size ${old.treeSize} was seen before the latest of size ${latest.treeSize}`);
    // The latest head may be one seen before (a log that restarts with nothing new serves its stored STH); any other
    // earlier head is older.
    const sameHead = old.treeSize === latest.treeSize && old.timestamp === latest.timestamp && old.rootHash.equals(latest.rootHash);
    assert.ok(sameHead || old.timestamp < latest.timestamp, `STH time only moves forward: ${old.timestamp} (size ${old.treeSize}) is not before ${latest.timestamp} (size ${latest.treeSize})`);
    const same = seen.get(old.treeSize);
    if (same) assert.ok(same.rootHash.equals(old.rootHash), `two different roots for size ${old.treeSize}`);
    seen.set(old.treeSize, old);
    if (old.treeSize === 0) continue;
    const proof = await getSthConsistency(old.treeSize, latest.treeSize);
    assert.ok(verifyConsistency(old.treeSize, latest.treeSize, old.rootHash, latest.rootHash, proof), `consistent with the STH of size ${old.treeSize}`);
  }
  return seen.size;
}
