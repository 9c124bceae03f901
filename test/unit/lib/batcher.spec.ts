import assert from 'node:assert/strict';
import { batcher } from '../../../lib/batcher.js';

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
});
