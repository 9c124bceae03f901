// Bytes that cross to another thread or process: viewed as Buffers on arrival (asBuffer), copied into an ArrayBuffer
// of their own before posting (ownBytes), or, in bulk, packed into one ArrayBuffer of their own and moved (in
// postMessage's transfer list), not copied: the search index's leaves, ~1,000 at a time, which the log's store hands
// out as slices of larger reads. Posted as they are, each Buffer would take its whole backing ArrayBuffer along
// (~30 µs of the sending thread's time per entry). Packing is not used for the CA's chains to its log's thread: there
// the structured clone copies each shared 8 KiB pool slab once per message, and packing measured 1–4 % more CPU per
// certificate (BENCHMARKS.md, issue 12).

/** Parts packed back to back: `lengths` cuts `packed` into them. */
export interface PackedBytes {
  readonly packed: ArrayBuffer;
  readonly lengths: readonly number[];
}

/** Copies `parts` into one new ArrayBuffer (not from the shared pool: the whole buffer moves; not zeroed: all of it is written). */
export function packBytes(parts: readonly Uint8Array[]): PackedBytes {
  const packed = Buffer.allocUnsafeSlow(parts.reduce((n, p) => n + p.byteLength, 0));
  let at = 0;
  for (const p of parts) {
    packed.set(p, at);
    at += p.byteLength;
  }
  return { packed: packed.buffer, lengths: parts.map((p) => p.byteLength) };
}

/** The parts as Buffers over the packed ArrayBuffer (no copy). */
export function unpackBytes({ packed, lengths }: PackedBytes): Buffer[] {
  let at = 0;
  return lengths.map((n) => Buffer.from(packed, (at += n) - n, n));
}

/** A Uint8Array that crossed threads (structured clone), viewed as a Buffer (no copy). */
export const asBuffer = (u: Uint8Array): Buffer => Buffer.from(u.buffer, u.byteOffset, u.byteLength);

/**
 * A copy of `b` in an ArrayBuffer of its own, to post in a message: a Buffer posted as it is takes its whole backing
 * ArrayBuffer along (a shared pool slab, or a larger read).
 */
export const ownBytes = (b: Uint8Array): Uint8Array => Uint8Array.prototype.slice.call(b);
