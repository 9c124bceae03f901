// Group commit: calls made while a flush is running are collected and handed to the next flush as one batch. One
// flush runs at a time. When a flush settles, the next batch is handed over before the settled batch's callers are
// resumed: its flush (a write and fdatasync, a Redis round trip) then runs while those callers continue (an SCT
// signature each, and their next submission's checks), instead of after them.
//
// That overlap only pays while the two groups are about the same size. Handed over at once, whatever is waiting,
// a closed loop of callers falls into lockstep (measured with 64 in flight, on every store): a batch of 1 and a batch
// of 63 take turns, and while the 63 flush there is one caller to resume, so the event loop waits. So when fewer
// than half of those in play (the waiting, and the settled batch's callers about to come back) are waiting, the
// next batch is held until half are, or until the event loop has run what the resumed callers queued (setImmediate),
// whichever comes first: returning callers fill it, and the two groups even out within a round. DESIGN.md "Group
// commit without lockstep" has the figures.

/** In play at a settle at most this many (waiting and settled together): the next batch is never held. */
export const EVEN_OUT_ABOVE = 8;

/** How many calls must be waiting before the batch after a settled one of `settled` calls is handed over. */
export function batchTarget(waiting: number, settled: number): number {
  const inPlay = waiting + settled;
  return inPlay <= EVEN_OUT_ABOVE ? 1 : Math.ceil(inPlay / 2);
}

export function batcher<In, Out>(flush: (batch: In[]) => Promise<Out[]>): (item: In) => Promise<Out> {
  interface Waiter {
    readonly item: In;
    readonly resolve: (o: Out) => void;
    readonly reject: (e: unknown) => void;
  }
  let pending: Waiter[] = [];
  /** A flush is running, or the next one is held (`held`). */
  let running = false;
  /** While the next batch is held: how many calls it waits for. */
  let held: number | undefined;

  function start(): void {
    held = undefined;
    const batch = pending;
    pending = [];
    running = true;
    const items = batch.map((p) => p.item);
    let out: Promise<Out[]>;
    try {
      out = flush(items);
    } catch (e) {
      out = Promise.reject(e);
    }
    const next = (): void => {
      if (pending.length === 0) {
        running = false;
        return;
      }
      const target = batchTarget(pending.length, batch.length);
      if (pending.length >= target) return start();
      held = target;
      setImmediate(() => {
        if (held !== undefined) start();
      });
    };
    out.then(
      (results) => {
        next();
        if (results.length !== batch.length) {
          const e = new Error(`batch flush returned ${results.length} results for ${batch.length} items`);
          for (const p of batch) p.reject(e);
        } else for (let i = 0; i < batch.length; i++) batch[i]!.resolve(results[i] as Out);
      },
      (e: unknown) => {
        next();
        for (const p of batch) p.reject(e);
      },
    );
  }

  return (item) =>
    new Promise<Out>((resolve, reject) => {
      pending.push({ item, resolve, reject });
      if (!running || (held !== undefined && pending.length >= held)) start();
    });
}
