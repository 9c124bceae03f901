// Bytes handed to another thread in one ArrayBuffer of their own, moved (in postMessage's transfer list), not copied.
// A Buffer posted as it is takes its whole backing ArrayBuffer along: a Buffer under 4 KiB is most often a slice of
// Node's shared 8 KiB pool, so a 500-byte certificate crossed as (a share of) an 8 KiB copy, allocated anew in the
// receiving isolate and kept alive there by whatever still views it. The structured clone copies each distinct
// ArrayBuffer once per message, so the cost depends on which Buffers happen to share a slab. Packed, what crosses is
// exactly the bytes: with the companion log's chains and SCTs packed, its thread ran half as many major GCs at
// 1,000 certificates/s (memory store, 6 runs), for 1–3 µs more CPU per message (a microbenchmark: the pack's copy).
// BENCHMARKS.md, issue 12.

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

/**
 * Views of `parts` over one new ArrayBuffer, to post with `transfer` in the transfer list: the receiver gets views of
 * the moved buffer, shaped as the parts were (for a message whose type holds Uint8Arrays, such as a WireSct).
 */
export function packViews(parts: readonly Uint8Array[]): { views: Uint8Array[]; transfer: ArrayBuffer } {
  const p = packBytes(parts);
  return { views: unpackBytes(p), transfer: p.packed };
}
