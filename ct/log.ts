// The CT log itself, transport-agnostic: validates submissions, sequences leaves (integrated before the SCT is
// returned), signs SCTs and STHs, and answers the RFC 6962 read queries. Errors are CtErrors with HTTP statuses.
import { createHash, hash } from 'node:crypto';
import type { Clock } from '../lib/clock.js';
import { systemClock } from '../lib/clock.js';
import type { Logger } from '../lib/log.js';
import { silentLogger } from '../lib/log.js';
import type { Signer } from '../lib/signer.js';
import { isUncompressedP256Spki } from '../lib/x509.js';
import { parseCertificate, precertTbsParts, type Certificate } from './certificate.js';
import { leafNotSigned, validateChain, validateChainButLeafSignature, type Submission } from './chain.js';
import { startLeafThread, verifyLeafOnThread } from './leaf-thread.js';
import { badRequest, CtError } from './errors.js';
import { consistencyProof, hashPrefixedLeaf, inclusionProof, rootHash } from './merkle.js';
import type { LogStore, NewEntry, Sequenced, StoredEntry, StoredSth } from './store.js';
import { batcher } from '../lib/batcher.js';
import { checkAgainstLatestSth } from './self-check.js';
import {
  encodeDigitallySigned,
  issuerKeyHash,
  logIdFor,
  parseMerkleTreeLeaf,
  precertExtraData,
  prefixedMerkleTreeLeaf,
  treeHeadSignatureInput,
  u16,
  u24,
  x509ExtraData,
  EntryType,
  type LeafBody,
  type Sct,
  type SignedEntry,
} from './structures.js';

/** RFC 6962 §4.6 lets a log cap get-entries; ctfe's default. */
export const MAX_GET_ENTRIES = 1000;
const NO_EXTENSIONS = Buffer.alloc(0);

export interface LogOptions {
  /** The log key: ECDSA P-256 (the only log key every CT verifier accepts). */
  readonly signer: Signer;
  /** Accepted roots, DER. */
  readonly roots: readonly Buffer[];
  readonly store: LogStore;
  readonly clock?: Clock;
  /** Leaf EKU filter; default code signing; null accepts any. */
  readonly extKeyUsages?: readonly string[] | null;
  /** How long an unchanged tree's STH is served before it is re-signed with a fresh timestamp. Default 60 s. */
  readonly sthRefreshMs?: number;
  readonly logger?: Logger;
  /** Told of every append and batch (ct/metrics.ts counts them); none by default. */
  readonly observer?: LogObserver;
  /**
   * Verify each leaf's signature by chain[1] on a thread of the process's own (ct/leaf-thread.ts) instead of the
   * event loop, once chain[1] and above were verified: for a log with a core to spare (`fulgor ct serve` on more
   * than one). Default false.
   */
  readonly leafSignaturesOnThread?: boolean;
}

/** What the log reports as it works, for its metrics. */
export interface LogObserver {
  /** One submission sequenced (durable) in `seconds`, from validation to the stored entry. */
  appended(seconds: number): void;
  /** One batch handed to the store: its size. */
  batch(size: number): void;
  /** One batch made durable by the store in `seconds` (a file store's write and fdatasync, a Redis round trip). */
  committed(seconds: number): void;
  /** The store failed a call (sequencing, or a read made for a status). */
  storeError(): void;
}

/** A precertificate logged: its SCT and the index of its entry (for a duplicate, the original's). */
export interface LoggedSct {
  readonly sct: Sct;
  readonly index: number;
}

/** The state behind /metrics: tree size and the latest published STH's timestamp (ms; undefined before the first). */
export interface LogStatus {
  readonly treeSize: number;
  readonly sthTimestamp: number | undefined;
}

/** A signed tree head; `signature` is TLS DigitallySigned over the TreeHeadSignature. */
export type SignedTreeHead = StoredSth;

export interface InclusionProof {
  readonly leafIndex: number;
  readonly auditPath: Buffer[];
}

export interface EntryAndProof extends StoredEntry {
  readonly auditPath: Buffer[];
}

export interface CtLog {
  readonly logId: Buffer;
  readonly publicKeySpki: Buffer;
  addChain(chainDer: readonly Buffer[]): Promise<Sct>;
  addPreChain(chainDer: readonly Buffer[]): Promise<Sct>;
  /**
   * add-pre-chain through a function call (the CA and its companion log in one process): the same validation and
   * the same durability as over HTTP, and the entry's index as well.
   */
  submitPreChain(chainDer: readonly Buffer[]): Promise<LoggedSct>;
  status(): Promise<LogStatus>;
  getSth(): Promise<SignedTreeHead>;
  getConsistency(first: number, second: number): Promise<Buffer[]>;
  getProofByHash(leafHash: Buffer, treeSize: number): Promise<InclusionProof>;
  /** Entries start..end inclusive, at most MAX_GET_ENTRIES, cut at the tree size; never empty. */
  getEntries(start: number, end: number): Promise<StoredEntry[]>;
  getEntryAndProof(leafIndex: number, treeSize: number): Promise<EntryAndProof>;
  getRoots(): Buffer[];
  /** Start-up check: the stored tree must reproduce the latest published STH (same size or larger, same root). */
  selfCheck(): Promise<void>;
}

/** Identity of a submission (as Sunlight): SHA-256(u16 entry_type ‖ [issuer_key_hash] ‖ u24 len ‖ cert or TBS). */
export function dedupKey(entry: SignedEntry): Buffer {
  const h = createHash('sha256').update(u16(EntryType[entry.type]));
  if (entry.type === 'precert') h.update(entry.issuerKeyHash);
  const body = entry.type === 'x509' ? entry.certificate : entry.tbsCertificate;
  return h.update(u24(body.length)).update(body).digest();
}

/**
 * dedupKey of the entry a v1 MerkleTreeLeaf holds, read off the leaf: the hashed bytes are the leaf's own, after
 * version, leaf type and timestamp and before the extensions (one one-shot hash of a view, no copies).
 */
export function dedupKeyOfLeaf(leafInput: Buffer): Buffer {
  let end = LEAF_ENTRY_OFFSET + 2 + (leafInput.readUInt16BE(LEAF_ENTRY_OFFSET) === EntryType.precert ? 32 : 0);
  end += 3 + leafInput.readUIntBE(end, 3);
  if (end + 2 > leafInput.length) throw new RangeError('truncated MerkleTreeLeaf');
  return hash('sha256', leafInput.subarray(LEAF_ENTRY_OFFSET, end), 'buffer');
}
/** version (1) + leaf type (1) + timestamp (8). */
const LEAF_ENTRY_OFFSET = 10;

/** issuer_key_hash per parsed issuer: the verified chain above the leaf is reused (ct/chain.ts), and so is this. */
const issuerKeyHashes = new WeakMap<Certificate, Buffer>();
function issuerKeyHashOf(issuer: Certificate): Buffer {
  let hash = issuerKeyHashes.get(issuer);
  if (hash === undefined) issuerKeyHashes.set(issuer, (hash = issuerKeyHash(issuer.spki)));
  return hash;
}

/** One-at-a-time execution: sequencing and STH signing never interleave. */
function serializer(): <T>(fn: () => Promise<T>) => Promise<T> {
  let tail: Promise<unknown> = Promise.resolve();
  return (fn) => {
    const run = tail.then(fn, fn);
    tail = run.catch(() => undefined);
    return run;
  };
}

function requireCount(n: number, name: string): number {
  if (!Number.isSafeInteger(n) || n < 0) throw badRequest(`${name} must be a non-negative integer`);
  return n;
}

export function createLog(options: LogOptions): CtLog {
  const { signer, store } = options;
  const clock = options.clock ?? systemClock;
  const logger = options.logger ?? silentLogger;
  const sthRefreshMs = options.sthRefreshMs ?? 60_000;
  const leafSignaturesOnThread = options.leafSignaturesOnThread ?? false;
  if (!isUncompressedP256Spki(signer.spki))
    throw new Error('the CT log key must be an ECDSA P-256 key (uncompressed SPKI)');
  const roots = options.roots.map((der, i) => {
    try {
      return parseCertificate(der);
    } catch (e) {
      throw new Error(`CT log root ${i} does not parse: ${(e as Error).message}`, { cause: e });
    }
  });
  const policy = { roots, extKeyUsages: options.extKeyUsages };
  // The thread boots while the log opens, not on the first submission.
  if (leafSignaturesOnThread) startLeafThread();
  const logId = logIdFor(signer.spki);
  const serially = serializer();
  // Concurrent submissions are sequenced together: one store call (one fsync, one Redis round trip) per batch.
  const observer = options.observer;
  const sequence = batcher<NewEntry, Sequenced>((batch) => {
    observer?.batch(batch.length);
    const started = observer ? performance.now() : 0;
    return store.sequence(batch).then(
      (sequenced) => {
        observer?.committed((performance.now() - started) / 1e3);
        return sequenced;
      },
      (e: unknown) => {
        observer?.storeError();
        throw e;
      },
    );
  });
  let sth: SignedTreeHead | undefined;

  const sign = async (data: Buffer): Promise<Buffer> => encodeDigitallySigned(await signer.sign(data));

  async function add(chainDer: readonly Buffer[], submission: Submission): Promise<LoggedSct> {
    const started = observer ? performance.now() : 0;
    // One reading of the clock: the chain is checked at the leaf's timestamp.
    const now = clock();
    let validated;
    if (leafSignaturesOnThread) {
      validated = validateChainButLeafSignature(chainDer, submission, policy, now);
      if (validated.leafSignature && !(await verifyLeafOnThread(validated.leafSignature))) throw leafNotSigned();
    } else validated = validateChain(chainDer, submission, policy, now);
    const { chain, leaf } = validated;
    // extra_data holds the verified path (issuers up to the accepted root), never the submitted array as sent.
    const above = chain.slice(1).map((c) => c.der);
    // The leaf is written once, the precertificate's TBS re-encoded straight into it; its hash and the dedup key are
    // one-shot hashes of views of it.
    const body: LeafBody =
      submission === 'add-chain'
        ? { type: 'x509', parts: [leaf.der] }
        : { type: 'precert', issuerKeyHash: issuerKeyHashOf(chain[1]!), parts: precertTbsParts(leaf) };
    const timestamp = now.getTime();
    const { leafInput, hashInput } = prefixedMerkleTreeLeaf(timestamp, body, NO_EXTENSIONS);
    const extraData = submission === 'add-chain' ? x509ExtraData(above) : precertExtraData(leaf.der, above);
    const stored = await sequence({ leafInput, extraData, leafHash: hashPrefixedLeaf(hashInput), dedupKey: dedupKeyOfLeaf(leafInput), timestamp });
    logger.log('debug', 'ct log entry sequenced', { index: stored.index, entryType: body.type, duplicate: stored.duplicate });
    // The SCT carries exactly the stored leaf's timestamp and extensions, and signs the leaf bytes themselves: a
    // duplicate gets an SCT for the original entry (read back from its leaf; our own leaf's fields are known).
    const leafFields = stored.leafInput === leafInput ? { timestamp, extensions: NO_EXTENSIONS } : parseMerkleTreeLeaf(stored.leafInput);
    const sct: Sct = { version: 0, logId, timestamp: leafFields.timestamp, extensions: leafFields.extensions, signature: await sign(stored.leafInput) };
    observer?.appended((performance.now() - started) / 1e3);
    return { sct, index: stored.index };
  }

  async function status(): Promise<LogStatus> {
    try {
      const [treeSize, latest] = await Promise.all([store.size(), store.latestSth()]);
      return { treeSize, sthTimestamp: latest?.timestamp };
    } catch (e) {
      observer?.storeError();
      throw e;
    }
  }

  /**
   * The STH for the current tree: re-signed when the tree grew or the cached one is older than sthRefreshMs. Its
   * timestamp is above the latest published STH's and every leaf's; publishing is a compare-and-set, so with several
   * frontends the newest STH wins and is served.
   */
  const getSth = (): Promise<SignedTreeHead> =>
    serially(async () => {
      const treeSize = await store.size();
      const now = clock().getTime();
      if (sth && sth.treeSize === treeSize && now - sth.timestamp < sthRefreshMs) return sth;
      const latest = await store.latestSth();
      if (latest && latest.treeSize >= treeSize && now - latest.timestamp < sthRefreshMs) return (sth = latest);
      const root = await rootHash(store, treeSize);
      const timestamp = Math.max(now, (latest?.timestamp ?? -1) + 1, (sth?.timestamp ?? -1) + 1, await store.newestTimestamp());
      const signature = await sign(treeHeadSignatureInput(timestamp, treeSize, root));
      sth = await store.publishSth({ treeSize, timestamp, rootHash: root, signature });
      return sth;
    });



  async function getConsistency(first: number, second: number): Promise<Buffer[]> {
    requireCount(first, 'first');
    requireCount(second, 'second');
    // RFC 6962 §2.1.2 defines PROOF(m, D[n]) for 0 < m only; an empty answer for m = 0 would read as a proof.
    if (first === 0) throw badRequest('first must be at least 1: there is no consistency proof from the empty tree');
    if (second < first) throw badRequest('second must not be smaller than first');
    const size = await store.size();
    if (second > size) throw badRequest(`second (${second}) is beyond the current tree size (${size})`);
    return consistencyProof(store, first, second);
  }

  async function getProofByHash(leafHash: Buffer, treeSize: number): Promise<InclusionProof> {
    if (leafHash.length !== 32) throw badRequest('hash must be a 32-byte SHA-256 leaf hash');
    if (!Number.isSafeInteger(treeSize) || treeSize < 1) throw badRequest('tree_size must be a positive integer');
    const size = await store.size();
    if (treeSize > size) throw new CtError(404, `tree_size ${treeSize} is beyond the current tree size (${size})`);
    const leafIndex = await store.indexByLeafHash(leafHash);
    if (leafIndex === undefined || leafIndex >= treeSize)
      throw new CtError(404, `no leaf with that hash in the first ${treeSize} entries`);
    return { leafIndex, auditPath: await inclusionProof(store, leafIndex, treeSize) };
  }

  async function getEntries(start: number, end: number): Promise<StoredEntry[]> {
    requireCount(start, 'start');
    requireCount(end, 'end');
    if (start > end) throw badRequest('start must not be greater than end');
    const size = await store.size();
    if (start >= size) throw badRequest(`start (${start}) is beyond the current tree size (${size})`);
    let last = end;
    if (last - start + 1 > MAX_GET_ENTRIES) {
      last = start + MAX_GET_ENTRIES - 1;
      // Align the cut to a multiple of the cap, as ctfe does, so that paging clients hit cache-friendly ranges.
      const aligned = Math.floor((last + 1) / MAX_GET_ENTRIES) * MAX_GET_ENTRIES - 1;
      if (aligned >= start) last = aligned;
    }
    return store.getEntries(start, Math.min(last, size - 1) + 1);
  }

  async function getEntryAndProof(leafIndex: number, treeSize: number): Promise<EntryAndProof> {
    requireCount(leafIndex, 'leaf_index');
    if (!Number.isSafeInteger(treeSize) || treeSize < 1) throw badRequest('tree_size must be a positive integer');
    if (leafIndex >= treeSize) throw badRequest('leaf_index must be smaller than tree_size');
    const size = await store.size();
    if (treeSize > size) throw badRequest(`tree_size ${treeSize} is beyond the current tree size (${size})`);
    const [entry] = await store.getEntries(leafIndex, leafIndex + 1);
    return { ...entry!, auditPath: await inclusionProof(store, leafIndex, treeSize) };
  }

  return {
    logId,
    publicKeySpki: signer.spki,
    addChain: async (chain) => (await add(chain, 'add-chain')).sct,
    addPreChain: async (chain) => (await add(chain, 'add-pre-chain')).sct,
    submitPreChain: (chain) => add(chain, 'add-pre-chain'),
    status,
    getSth,
    getConsistency,
    getProofByHash,
    getEntries,
    getEntryAndProof,
    getRoots: () => roots.map((r) => r.der),
    selfCheck: () => checkAgainstLatestSth(store),
  };
}
