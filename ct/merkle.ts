// RFC 6962 §2.1 Merkle hashing, proof generation and RFC 9162 §2.1.3.2 / §2.1.4.2 proof verification.
//
// Proofs are planned first as lists of leaf ranges [start, end) whose hashes the proof carries (pure arithmetic),
// then every range is decomposed into perfect subtrees and all of those node hashes are fetched from a HashSource
// in one call. Every range in an RFC 6962 proof starts at a multiple of a power of two that is at least its length,
// so it splits into at most log2(n) perfect subtrees: a proof or root costs O(log n) node reads in one batch.
import { createHash, hash } from 'node:crypto';

const LEAF_PREFIX = Buffer.from([0x00]);
const NODE_PREFIX = Buffer.from([0x01]);

/** MTH({}) = SHA-256 of the empty string. */
export const EMPTY_ROOT: Buffer = createHash('sha256').digest();

/** SHA-256(0x00 ‖ leaf). */
export const hashLeaf = (leaf: Uint8Array): Buffer => createHash('sha256').update(LEAF_PREFIX).update(leaf).digest();

/**
 * hashLeaf of a leaf already written after its prefix (structures.ts prefixedMerkleTreeLeaf's hashInput): one one-shot
 * SHA-256, no hash object and no copy (the log computes one per submission).
 */
export const hashPrefixedLeaf = (hashInput: Buffer): Buffer => hash('sha256', hashInput, 'buffer');

/** SHA-256(0x01 ‖ left ‖ right), one-shot over one small copy (faster than a streaming hash's three updates). */
export const hashChildren = (left: Uint8Array, right: Uint8Array): Buffer =>
  hash('sha256', Buffer.concat([NODE_PREFIX, left, right]), 'buffer');

/** The perfect subtree covering leaves [index·2^level, (index+1)·2^level). Level 0 nodes are leaf hashes. */
export interface NodeId {
  readonly level: number;
  readonly index: number;
}

/** Where proofs read node hashes from; a store answers a whole batch in one round trip. */
export interface HashSource {
  /** Hashes of the given perfect subtrees, in order. Every id must lie inside the sequenced tree. */
  getNodes(ids: readonly NodeId[]): Promise<Buffer[]>;
}

/** A half-open leaf range [start, end) of the tree. */
export interface Range {
  readonly start: number;
  readonly end: number;
}

const half = (n: number): number => Math.floor(n / 2);
const isOdd = (n: number): boolean => n % 2 === 1;

/** The largest power of two strictly smaller than n (n ≥ 2). */
export function splitPoint(n: number): number {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

/** The perfect subtrees that make up [start, end), left to right, largest aligned block first. */
export function perfectSubtrees(range: Range): NodeId[] {
  const out: NodeId[] = [];
  let at = range.start;
  while (at < range.end) {
    let level = 0;
    for (let size = 2; at % size === 0 && at + size <= range.end; size *= 2) level++;
    out.push({ level, index: at / 2 ** level });
    at += 2 ** level;
  }
  return out;
}

/** Combines the hashes of consecutive perfect subtrees (largest first) into the RFC 6962 hash of their range. */
export function foldSubtrees(hashes: readonly Buffer[]): Buffer {
  let acc = hashes[hashes.length - 1];
  if (acc === undefined) return EMPTY_ROOT;
  for (let i = hashes.length - 2; i >= 0; i--) acc = hashChildren(hashes[i]!, acc);
  return acc;
}

/** RFC 6962 §2.1.1 PATH(index, D[size]) as ranges, leaf-level sibling first. */
export function inclusionRanges(index: number, size: number): Range[] {
  if (!Number.isSafeInteger(index) || !Number.isSafeInteger(size) || index < 0 || index >= size)
    throw new RangeError(`no inclusion proof for leaf ${index} in a tree of size ${size}`);
  const path: Range[] = [];
  let lo = 0;
  let hi = size;
  while (hi - lo > 1) {
    const k = splitPoint(hi - lo);
    if (index < lo + k) {
      path.push({ start: lo + k, end: hi });
      hi = lo + k;
    } else {
      path.push({ start: lo, end: lo + k });
      lo += k;
    }
  }
  return path.reverse();
}

/** RFC 6962 §2.1.2 PROOF(first, D[second]) as ranges, deepest first. Empty for first = 0 or first = second. */
export function consistencyRanges(first: number, second: number): Range[] {
  if (!Number.isSafeInteger(first) || !Number.isSafeInteger(second) || first < 0 || first > second)
    throw new RangeError(`no consistency proof from size ${first} to size ${second}`);
  if (first === 0 || first === second) return [];
  const proof: Range[] = [];
  let lo = 0;
  let hi = second;
  let m = first;
  let complete = true; // SUBPROOF's b: true while the old tree is a prefix of the left edge
  for (;;) {
    if (m === hi - lo) {
      if (!complete) proof.push({ start: lo, end: hi });
      break;
    }
    const k = splitPoint(hi - lo);
    if (m <= k) {
      proof.push({ start: lo + k, end: hi });
      hi = lo + k;
    } else {
      proof.push({ start: lo, end: lo + k });
      lo += k;
      m -= k;
      complete = false;
    }
  }
  return proof.reverse();
}

/** The hashes of the given ranges, reading every needed perfect subtree from `source` in one batch. */
export async function hashRanges(source: HashSource, ranges: readonly Range[]): Promise<Buffer[]> {
  const plans = ranges.map(perfectSubtrees);
  const hashes = await source.getNodes(plans.flat());
  let offset = 0;
  return plans.map((plan) => {
    const part = hashes.slice(offset, offset + plan.length);
    offset += plan.length;
    if (part.length !== plan.length) throw new Error('hash source returned too few nodes');
    return foldSubtrees(part);
  });
}

/** MTH(D[0:size]). */
export async function rootHash(source: HashSource, size: number): Promise<Buffer> {
  if (size === 0) return EMPTY_ROOT;
  const [root] = await hashRanges(source, [{ start: 0, end: size }]);
  return root!;
}

/** The audit path of leaf `index` in the tree of size `size` (rejects with a RangeError when index ≥ size). */
export async function inclusionProof(source: HashSource, index: number, size: number): Promise<Buffer[]> {
  return hashRanges(source, inclusionRanges(index, size));
}

/** The consistency proof from size `first` to size `second` (empty for first = 0 or first = second). */
export async function consistencyProof(source: HashSource, first: number, second: number): Promise<Buffer[]> {
  return hashRanges(source, consistencyRanges(first, second));
}

/**
 * The right edge of a growing tree: the hashes of the perfect subtrees that make up [0, size), largest first (one
 * per set bit of size). Enough to append leaves and compute the root without keeping the tree: what a client that
 * follows get-entries keeps (and stores between runs) to check that the entries it read are the ones an STH signs.
 */
export class MerkleFrontier {
  private readonly stack: { level: number; hash: Buffer }[] = [];
  private count = 0;

  /** A frontier for `size` leaves from its subtree hashes, largest first (as `hashes` gives them). */
  constructor(size = 0, hashes: readonly Buffer[] = []) {
    if (!Number.isSafeInteger(size) || size < 0) throw new RangeError(`bad tree size ${size}`);
    const levels: number[] = [];
    for (let level = 52; level >= 0; level--) if (Math.floor(size / 2 ** level) % 2 === 1) levels.push(level);
    if (levels.length !== hashes.length || hashes.some((h) => h.length !== 32))
      throw new RangeError(`a frontier for ${size} leaves is ${levels.length} hashes of 32 bytes`);
    levels.forEach((level, i) => this.stack.push({ level, hash: Buffer.from(hashes[i]!) }));
    this.count = size;
  }

  get size(): number {
    return this.count;
  }

  /** The subtree hashes, largest first. */
  get hashes(): Buffer[] {
    return this.stack.map((n) => Buffer.from(n.hash));
  }

  /** Appends a leaf; `completed` is told of every perfect subtree the leaf completes, smallest first. */
  push(leafHash: Buffer, completed?: (id: NodeId, hash: Buffer) => void): void {
    const leaf = this.count;
    let node = { level: 0, hash: leafHash };
    while (this.stack.length > 0 && this.stack[this.stack.length - 1]!.level === node.level) {
      const left = this.stack.pop()!;
      node = { level: node.level + 1, hash: hashChildren(left.hash, node.hash) };
      completed?.({ level: node.level, index: Math.floor(leaf / 2 ** node.level) }, node.hash);
    }
    this.stack.push(node);
    this.count++;
  }

  root(): Buffer {
    return foldSubtrees(this.stack.map((n) => n.hash));
  }
}

/** MTH of a list of leaf hashes, streaming (a client rebuilding a tree from get-entries). */
export function rootOfLeafHashes(leafHashes: Iterable<Buffer>): Buffer {
  const frontier = new MerkleFrontier();
  for (const hash of leafHashes) frontier.push(hash);
  return frontier.root();
}

/**
 * The frontier of a tree of `size` leaves from its last leaf's hash and audit path (get-proof-by-hash for leaf
 * size-1): how a client starts following a log at its current end without reading every entry. Null when the proof
 * has the wrong shape; check the result's root against the signed one.
 */
export function frontierFromLastLeaf(size: number, leafHash: Buffer, auditPath: readonly Buffer[]): MerkleFrontier | null {
  if (!Number.isSafeInteger(size) || size < 1) return null;
  let low = 0; // the smallest subtree is 2^low leaves: the last leaf's first `low` siblings lie inside it
  while (Math.floor(size / 2 ** low) % 2 === 0) low++;
  const ones = [...size.toString(2)].filter((b) => b === '1').length;
  if (auditPath.length !== low + ones - 1) return null;
  let smallest = leafHash;
  for (const sibling of auditPath.slice(0, low)) smallest = hashChildren(sibling, smallest);
  const larger = auditPath.slice(low).reverse();
  return new MerkleFrontier(size, [...larger, smallest]);
}

/** RFC 9162 §2.1.3.2: the root an inclusion proof leads to, or null when the proof has the wrong shape. */
export function rootFromInclusionProof(index: number, size: number, leafHash: Buffer, proof: readonly Buffer[]): Buffer | null {
  if (!Number.isSafeInteger(index) || !Number.isSafeInteger(size) || index < 0 || index >= size) return null;
  let fn = index;
  let sn = size - 1;
  let r = leafHash;
  for (const p of proof) {
    if (sn === 0) return null;
    if (isOdd(fn) || fn === sn) {
      r = hashChildren(p, r);
      while (!isOdd(fn) && fn !== 0) {
        fn = half(fn);
        sn = half(sn);
      }
    } else {
      r = hashChildren(r, p);
    }
    fn = half(fn);
    sn = half(sn);
  }
  return sn === 0 ? r : null;
}

export function verifyInclusion(
  index: number,
  size: number,
  leafHash: Buffer,
  proof: readonly Buffer[],
  root: Buffer,
): boolean {
  const computed = rootFromInclusionProof(index, size, leafHash, proof);
  return computed !== null && computed.equals(root);
}

/** RFC 9162 §2.1.4.2. Size 0 is consistent with anything only through an empty proof and the empty root. */
export function verifyConsistency(
  first: number,
  second: number,
  firstRoot: Buffer,
  secondRoot: Buffer,
  proof: readonly Buffer[],
): boolean {
  if (!Number.isSafeInteger(first) || !Number.isSafeInteger(second) || first < 0 || first > second) return false;
  if (first === 0) return proof.length === 0 && firstRoot.equals(EMPTY_ROOT);
  if (first === second) return proof.length === 0 && firstRoot.equals(secondRoot);
  if (proof.length === 0) return false;
  const path = isPowerOfTwo(first) ? [firstRoot, ...proof] : [...proof];
  let fn = first - 1;
  let sn = second - 1;
  while (isOdd(fn)) {
    fn = half(fn);
    sn = half(sn);
  }
  let fr = path[0]!;
  let sr = path[0]!;
  for (const c of path.slice(1)) {
    if (sn === 0) return false;
    if (isOdd(fn) || fn === sn) {
      fr = hashChildren(c, fr);
      sr = hashChildren(c, sr);
      while (!isOdd(fn) && fn !== 0) {
        fn = half(fn);
        sn = half(sn);
      }
    } else {
      sr = hashChildren(sr, c);
    }
    fn = half(fn);
    sn = half(sn);
  }
  return sn === 0 && fr.equals(firstRoot) && sr.equals(secondRoot);
}

function isPowerOfTwo(n: number): boolean {
  while (n > 1 && n % 2 === 0) n /= 2;
  return n === 1;
}
