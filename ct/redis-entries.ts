// How the Redis log store keeps an entry (a field of B..'e:'.., see redis-scripts.ts): the certificate chain that a
// CA's entries all end with is stored once, under its SHA-256, in the hash B..'c', and each entry names it.
//
//   v1 (written before chains were shared, still read): u32 len(leaf_input) ‖ leaf_input ‖ extra_data. Its first
//      byte is 0: a leaf_input is far shorter than 2^24 bytes.
//   v2: 0x01 ‖ u32 len(leaf_input) ‖ leaf_input ‖ 32-byte chain id ‖ extra_data up to its chain.
//
// The chain (RFC 6962 §3.1): a precert entry's extra_data is pre_certificate (u24 length and DER) followed by
// precertificate_chain (u24 length and the certificates); an x509 entry's is certificate_chain alone. An entry whose
// extra_data does not parse that way, or whose chain is shorter than MIN_SHARED_CHAIN, is written as v1.
import { createHash } from 'node:crypto';
import type { StoredEntry } from './store.js';

export const V2 = 0x01;
const ID_BYTES = 32;
/** Shorter chains (an x509 entry with no intermediates) are cheaper to keep in the entry than to name. */
const MIN_SHARED_CHAIN = 64;

const u24 = (b: Buffer, at: number): number => ((b[at]! << 16) | (b[at + 1]! << 8) | b[at + 2]!) >>> 0;

/** Where extra_data's chain starts, or undefined when the entry keeps it inline. */
export function chainStart(leafInput: Buffer, extraData: Buffer): number | undefined {
  // MerkleTreeLeaf: version, leaf_type, u64 timestamp, u16 entry_type.
  if (leafInput.length < 12 || leafInput[0] !== 0 || leafInput[1] !== 0) return undefined;
  const entryType = leafInput.readUInt16BE(10);
  let start: number;
  if (entryType === 0) start = 0;
  else if (entryType === 1 && extraData.length >= 3) start = 3 + u24(extraData, 0);
  else return undefined;
  const chainBytes = extraData.length - start;
  if (chainBytes < MIN_SHARED_CHAIN || u24(extraData, start) !== chainBytes - 3) return undefined;
  return start;
}

/** A chain and its id (SHA-256 of its bytes), as a batch sends it to be stored. */
export interface SharedChain {
  readonly id: Buffer;
  readonly bytes: Buffer;
}

/**
 * The ids of the chains this frontend has written: a CA has one chain (two around a rotation), so a byte comparison
 * with the few known ones replaces a SHA-256 of ~2 KB per entry. Bounded: past MAX_KNOWN it starts over.
 */
export class ChainIds {
  private static readonly MAX_KNOWN = 16;
  private known: SharedChain[] = [];

  of(chain: Buffer): SharedChain {
    for (const c of this.known) if (c.bytes.length === chain.length && c.bytes.equals(chain)) return c;
    if (this.known.length >= ChainIds.MAX_KNOWN) this.known = [];
    const c: SharedChain = { id: createHash('sha256').update(chain).digest(), bytes: Buffer.from(chain) };
    this.known.push(c);
    return c;
  }
}

/** An entry as stored, and the chain it names (to be stored with it) when it names one. */
export function encodeEntry(e: StoredEntry, ids: ChainIds): { stored: Buffer; chain?: SharedChain } {
  const { leafInput, extraData } = e;
  const start = chainStart(leafInput, extraData);
  if (start === undefined) {
    const out = Buffer.allocUnsafe(4 + leafInput.length + extraData.length);
    out.writeUInt32BE(leafInput.length, 0);
    leafInput.copy(out, 4);
    extraData.copy(out, 4 + leafInput.length);
    return { stored: out };
  }
  const chain = ids.of(extraData.subarray(start));
  const out = Buffer.allocUnsafe(5 + leafInput.length + ID_BYTES + start);
  out[0] = V2;
  out.writeUInt32BE(leafInput.length, 1);
  let at = 5 + leafInput.copy(out, 5);
  at += chain.id.copy(out, at);
  extraData.copy(out, at, 0, start);
  return { stored: out, chain };
}

/** A stored entry's parts: its extra_data is `head` followed by the chain named `chainId` (none: `head` is all of it). */
export interface StoredForm {
  readonly leafInput: Buffer;
  readonly chainId?: Buffer;
  readonly head: Buffer;
}

export function readStoredEntry(b: Buffer): StoredForm {
  if (b.length >= 4 && b[0] === 0) {
    const len = b.readUInt32BE(0);
    if (4 + len <= b.length) return { leafInput: b.subarray(4, 4 + len), head: b.subarray(4 + len) };
  } else if (b.length >= 5 && b[0] === V2) {
    const len = b.readUInt32BE(1);
    const idAt = 5 + len;
    if (idAt + ID_BYTES <= b.length) return { leafInput: b.subarray(5, idAt), chainId: b.subarray(idAt, idAt + ID_BYTES), head: b.subarray(idAt + ID_BYTES) };
  }
  throw new Error(`a stored entry of ${b.length} bytes has an unknown format (first byte ${b[0] ?? 'none'}): written by a newer Fulgor?`);
}

/** The entry, its chain put back (`chain` is the bytes `f.chainId` names). */
export function withChain(f: StoredForm, chain: Buffer | undefined): StoredEntry {
  if (f.chainId === undefined) return { leafInput: f.leafInput, extraData: f.head };
  if (chain === undefined) throw new Error(`the chain ${f.chainId.toString('hex')} of a stored entry is missing`);
  return { leafInput: f.leafInput, extraData: Buffer.concat([f.head, chain]) };
}

/** `bytes` when they are the chain `id` names; throws when they are not (a damaged or foreign value). */
export function checkedChain(id: Buffer, bytes: Buffer): Buffer {
  if (!createHash('sha256').update(bytes).digest().equals(id)) throw new Error(`the stored chain ${id.toString('hex')} does not match its id`);
  return bytes;
}
