import assert from 'node:assert/strict';
import { MessageChannel, type MessagePort } from 'node:worker_threads';
import { perTurn } from '../../../lib/per-turn.js';
import { packBytes, unpackBytes, type PackedBytes } from '../../../lib/thread-bytes.js';

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
    assert.deepEqual(
      back.map((b) => b.toString()),
      ['first', '', 'the third part'],
    );
    for (const b of back) assert.equal(b.buffer, p.packed);
    // A copy: the parts stay as they were.
    back[0]![0] = 0x58;
    assert.equal(parts[0]!.toString(), 'first');
  });

  it('a transferred pack arrives whole, the size of its parts; the sender no longer holds it', async () => {
    const { port1, port2 } = new MessageChannel();
    try {
      const parts = pooled('precertificate', 'intermediate', 'root');
      const p = packBytes(parts);
      const arrived = nextMessage(port2);
      port1.postMessage(p, [p.packed]);
      const got = (await arrived) as PackedBytes;
      assert.equal(got.packed.byteLength, 30);
      assert.deepEqual(
        unpackBytes(got).map((b) => b.toString()),
        ['precertificate', 'intermediate', 'root'],
      );
      assert.equal(p.packed.byteLength, 0, 'moved, not copied');
      // Posted as they are, the same Buffers cross with their whole pool slab.
      const plain = nextMessage(port2);
      port1.postMessage(parts);
      assert.ok(((await plain) as Uint8Array[])[0]!.buffer.byteLength > 1000);
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
});
