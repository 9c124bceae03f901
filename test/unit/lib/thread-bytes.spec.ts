import assert from 'node:assert/strict';
import { MessageChannel, type MessagePort } from 'node:worker_threads';
import { perTurn, perTurnPost } from '../../../lib/per-turn.js';
import { packBytes, packViews, unpackBytes } from '../../../lib/thread-bytes.js';

/** Small Buffers as Node makes them: slices of its shared 8 KiB pool. */
const pooled = (...texts: string[]): Buffer[] => texts.map((t) => Buffer.from(t, 'utf8'));

const nextMessage = (port: MessagePort): Promise<unknown> => new Promise((resolve) => port.once('message', resolve));

describe('lib/thread-bytes', () => {
  it('packs parts back to back into a buffer of exactly their size, and cuts them out again without copying', () => {
    const parts = pooled('first', '', 'the third part');
    assert.ok(parts[0]!.buffer.byteLength > 1000, 'the test needs pooled Buffers');
    const p = packBytes(parts);
    assert.equal(p.packed.byteLength, 19);
    assert.deepEqual(p.lengths, [5, 0, 14]);
    const back = unpackBytes(p);
    assert.deepEqual(back.map((b) => b.toString()), ['first', '', 'the third part']);
    for (const b of back) assert.equal(b.buffer, p.packed);
  });

  it('packViews gives views of one new buffer, equal to the parts, leaving the parts as they were', () => {
    const parts = pooled('chain-0', 'chain-1');
    const { views, transfer } = packViews(parts);
    assert.deepEqual(views.map((v) => Buffer.from(v).toString()), ['chain-0', 'chain-1']);
    for (const v of views) assert.equal(v.buffer, transfer);
    views[0]![0] = 0x58;
    assert.equal(parts[0]!.toString(), 'chain-0');
  });

  it('a transferred pack arrives as views of one buffer its size; the sender no longer holds it', async () => {
    const { port1, port2 } = new MessageChannel();
    try {
      const parts = pooled('precertificate', 'intermediate', 'root');
      const { views, transfer } = packViews(parts);
      const arrived = nextMessage(port2);
      port1.postMessage({ chain: views }, [transfer]);
      const m = (await arrived) as { chain: Uint8Array[] };
      assert.deepEqual(m.chain.map((v) => Buffer.from(v).toString()), ['precertificate', 'intermediate', 'root']);
      assert.equal(new Set(m.chain.map((v) => v.buffer)).size, 1);
      assert.equal(m.chain[0]!.buffer.byteLength, 30);
      assert.equal(transfer.byteLength, 0, 'moved, not copied');
      // Posted as they are, the same Buffers cross with their whole pool each.
      const plain = nextMessage(port2);
      port1.postMessage({ chain: parts });
      const copied = (await plain) as { chain: Uint8Array[] };
      assert.ok(copied.chain[0]!.buffer.byteLength > 1000);
    } finally {
      port1.close();
    }
  });
});

describe('lib/per-turn', () => {
  it('perTurn delivers the items of one turn together, in order, and the next turn apart', async () => {
    const got: number[][] = [];
    const add = perTurn<number>((items) => got.push(items));
    add(1);
    add(2);
    add(3);
    await new Promise((resolve) => setImmediate(resolve));
    add(4);
    await new Promise((resolve) => setImmediate(resolve));
    assert.deepEqual(got, [[1, 2, 3], [4]]);
  });

  it('perTurnPost posts a turn as one message with every buffer it moves', async () => {
    const { port1, port2 } = new MessageChannel();
    try {
      const post = perTurnPost<{ n: number; bytes?: Uint8Array[] }>(port1);
      const a = packViews(pooled('a-bytes'));
      const b = packViews(pooled('b-bytes'));
      const arrived = nextMessage(port2);
      post({ n: 1, bytes: a.views }, a.transfer);
      post({ n: 2 });
      post({ n: 3, bytes: b.views }, b.transfer);
      const batch = (await arrived) as { n: number; bytes?: Uint8Array[] }[];
      assert.deepEqual(
        batch.map((m) => [m.n, m.bytes?.map((v) => Buffer.from(v).toString())]),
        [
          [1, ['a-bytes']],
          [2, undefined],
          [3, ['b-bytes']],
        ],
      );
      assert.equal(a.transfer.byteLength, 0);
      assert.equal(b.transfer.byteLength, 0);
    } finally {
      port1.close();
    }
  });
});
