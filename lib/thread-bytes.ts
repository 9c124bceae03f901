// Bytes handed to another thread in one ArrayBuffer of their own, moved (in postMessage's transfer list), not copied:
// the search index's leaves, ~1,000 at a time, which the log's store hands out as slices of larger reads. Posted as
// they are, each Buffer would take its whole backing ArrayBuffer along (~30 µs of the sending thread's time per
// entry). Not used for the CA's chains to its log's thread: there the structured clone copies each shared 8 KiB
// pool slab once per message, and packing measured 1–4 % more CPU per certificate (BENCHMARKS.md, issue 12).

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
