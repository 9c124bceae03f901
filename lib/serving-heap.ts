// V8's heap settings for a process that serves certificates (`fulgor serve`: serve() in one process and in each CA
// worker, serveCluster() in the cluster primary), applied before it serves. V8 flags are per process, so every
// thread (the CA, the companion log's thread, the search index's thread) runs with them.
//
// Allocation-site pretenuring is off. With it, V8 allocates objects from sites whose objects tended to survive
// straight into the old generation. Each certificate request makes native objects: the client's OpenSSL key behind
// a KeyObject, a job per signature. Their finalizers run in the pause of the GC that frees them, and a used P-256
// key's costs several µs. Under steady load those objects piled up in the old generation and were finalized together
// in mark-compacts of the main thread of 50–110 ms every few seconds. Without pretenuring they die young and are
// finalized a few at a time in scavenges. Open loop at 600 certificates/s for 16,000 requests (BENCHMARKS.md,
// issue 12): a `serve` process of its own had p99 12–23 ms against 14–54 ms and p99.9 22–56 against 25–88 ms (3 of 3
// pairs); the same CPU per certificate. The flag is read as the heap runs, so setting it here (not on node's
// command line) takes effect; a V8 that no longer knows it prints one line and carries on.
import { setFlagsFromString } from 'node:v8';

/** Idempotent: a second call sets the same flag again. */
export function applyServingHeapSettings(): void {
  setFlagsFromString('--no-allocation-site-pretenuring');
}
