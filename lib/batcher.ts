// Group commit: calls made while a flush is running are collected and handed to the next flush as one batch. One
// flush runs at a time. When a flush settles, the next batch is handed over before the settled batch's callers are
// resumed: its flush (a write and fdatasync, a Redis round trip) then runs while those callers continue (an SCT
// signature each, and their next submission's checks), instead of after them.
export function batcher<In, Out>(flush: (batch: In[]) => Promise<Out[]>): (item: In) => Promise<Out> {
  interface Waiter {
    readonly item: In;
    readonly resolve: (o: Out) => void;
    readonly reject: (e: unknown) => void;
  }
  let pending: Waiter[] = [];
  let running = false;

  function start(): void {
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
      if (pending.length > 0) start();
      else running = false;
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
      if (!running) start();
    });
}
