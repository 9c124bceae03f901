import assert from 'node:assert/strict';
import { batcher, batchTarget, EVEN_OUT_ABOVE } from '../../../lib/batcher.js';

/** A flush whose calls the test settles by hand. */
function manualFlush(): {
  flush: (batch: number[]) => Promise<string[]>;
  calls: { batch: number[]; settle: (out: string[] | Error) => void }[];
} {
  const calls: { batch: number[]; settle: (out: string[] | Error) => void }[] = [];
  return {
    calls,
    flush: (batch) =>
      new Promise((resolve, reject) => calls.push({ batch, settle: (out) => (out instanceof Error ? reject(out) : resolve(out)) })),
  };
}

describe('lib/batcher', () => {
  it('runs one flush at a time and hands everything called meanwhile to the next, in order', async () => {
    const m = manualFlush();
    const add = batcher(m.flush);
    const first = add(1);
    const rest = [add(2), add(3)];
    assert.deepEqual(m.calls.map((c) => c.batch), [[1]]);
    m.calls[0]!.settle(['a']);
    assert.equal(await first, 'a');
    assert.deepEqual(m.calls.map((c) => c.batch), [[1], [2, 3]]);
    m.calls[1]!.settle(['b', 'c']);
    assert.deepEqual(await Promise.all(rest), ['b', 'c']);
  });

  it('starts the next flush before the settled batch’s callers resume', async () => {
    const m = manualFlush();
    const add = batcher(m.flush);
    const flushesSeenByCaller: number[] = [];
    const first = add(1).then(() => flushesSeenByCaller.push(m.calls.length));
    const second = add(2);
    m.calls[0]!.settle(['a']);
    await first;
    assert.deepEqual(flushesSeenByCaller, [2], 'the second batch was flushing when the first caller resumed');
    m.calls[1]!.settle(['b']);
    assert.equal(await second, 'b');
  });

  it('rejects only the failed batch, and a flush that throws or miscounts', async () => {
    let n = 0;
    const add = batcher<number, number>(async (batch) => {
      n++;
      if (n === 1) throw new Error('disk full');
      if (n === 2) return [];
      return batch.map((x) => x * 10);
    });
    await assert.rejects(add(1), /disk full/);
    await assert.rejects(add(2), /returned 0 results for 1 items/);
    assert.equal(await add(3), 30);
    const sync = batcher<number, number>((batch) => {
      if (batch[0] === 0) throw new Error('synchronous');
      return Promise.resolve(batch);
    });
    await assert.rejects(sync(0), /synchronous/);
    assert.equal(await sync(5), 5);
  });

  it('holds the next batch for half of those in play only above EVEN_OUT_ABOVE of them', () => {
    assert.equal(batchTarget(1, 1), 1);
    assert.equal(batchTarget(3, EVEN_OUT_ABOVE - 3), 1, 'small groups go at once, as before');
    assert.equal(batchTarget(1, EVEN_OUT_ABOVE), Math.ceil((EVEN_OUT_ABOVE + 1) / 2));
    assert.equal(batchTarget(1, 63), 32);
    assert.equal(batchTarget(32, 32), 32);
    assert.equal(batchTarget(63, 1), 32, 'more than half waiting: handed over at once, all of them');
  });

  it('evens out a closed loop of callers instead of alternating a batch of 1 with one of the rest', async () => {
    const m = manualFlush();
    const add = batcher(m.flush);
    let stop = false;
    const worker = async (id: number): Promise<void> => {
      while (!stop) await add(id);
    };
    const workers = Array.from({ length: 64 }, (_, id) => worker(id));
    const tick = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));
    for (let settled = 0; settled < 30; settled++) {
      while (m.calls.length <= settled) await tick();
      const call = m.calls[settled]!;
      call.settle(call.batch.map(String));
      await tick();
    }
    const sizes = m.calls.slice(0, 30).map((c) => c.batch.length);
    // Without the hold: 1, 63, 1, 63... (the event loop idles while each 63 flush).
    assert.ok(sizes.slice(-10).every((n) => n >= 24 && n <= 40), `batch sizes ${sizes.join(' ')}`);
    stop = true;
    let done = false;
    const all = Promise.all(workers).then(() => void (done = true));
    for (let k = 30; !done; await tick()) for (; k < m.calls.length; k++) m.calls[k]!.settle(m.calls[k]!.batch.map(String));
    await all;
  });

  it('hands a held batch over once the event loop has run what the resumed callers queued, if they do not come back', async () => {
    const m = manualFlush();
    const add = batcher(m.flush);
    const first = add(0);
    const second = Array.from({ length: 20 }, (_, i) => add(100 + i));
    assert.deepEqual(m.calls.map((c) => c.batch.length), [1]);
    m.calls[0]!.settle(['0']);
    assert.equal(await first, '0');
    assert.deepEqual(m.calls.map((c) => c.batch.length), [1, 20], 'more than half waiting: handed over at once');
    const late = add(999);
    m.calls[1]!.settle(m.calls[1]!.batch.map(String));
    await Promise.all(second);
    assert.equal(m.calls.length, 2, 'held: 1 of 21 in play is waiting');
    await new Promise((resolve) => setImmediate(resolve));
    assert.deepEqual(m.calls[2]?.batch, [999], 'handed over alone once nobody else came');
    m.calls[2]!.settle(['late']);
    assert.equal(await late, 'late');
  });
});
