// Group commit: calls made while a flush is running are collected and handed to the next flush as one batch.
export function batcher<In, Out>(flush: (batch: In[]) => Promise<Out[]>): (item: In) => Promise<Out> {
  let pending: Array<{ item: In; resolve: (o: Out) => void; reject: (e: unknown) => void }> = [];
  let running = false;

  async function drain(): Promise<void> {
    running = true;
    while (pending.length > 0) {
      const batch = pending;
      pending = [];
      try {
        const out = await flush(batch.map((p) => p.item));
        if (out.length !== batch.length) throw new Error(`batch flush returned ${out.length} results for ${batch.length} items`);
        batch.forEach((p, i) => p.resolve(out[i] as Out));
      } catch (e) {
        for (const p of batch) p.reject(e);
      }
    }
    running = false;
  }

  return (item) =>
    new Promise<Out>((resolve, reject) => {
      pending.push({ item, resolve, reject });
      if (!running) void drain();
    });
}
