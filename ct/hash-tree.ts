// The in-memory Merkle tree stores embed: every level of perfect-subtree hashes, appends O(log n) hashes, roots and
// proofs O(log n) lookups. It is the compact, contiguous-buffer tree of compact-tree.ts under its historical name.
export { CompactHashTree as MemoryHashTree, CompactHashTree, DigestArray } from './compact-tree.js';
