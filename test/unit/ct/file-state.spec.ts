import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CompactHashTree } from '../../../ct/compact-tree.js';
import { openCheckpoint, writeCheckpoint } from '../../../ct/file-checkpoint.js';
import { FileState, TOP_LEVEL } from '../../../ct/file-state.js';
import { perfectSubtrees } from '../../../ct/merkle.js';

const digest = (tag: string, i: number): Buffer => createHash('sha256').update(`${tag} ${i}`).digest();
/** Leaf hashes repeat every 500 entries (so the leaf-hash lookup must return the lowest index). */
const leaf = (i: number): Buffer => digest('leaf', i % 500);
const dedup = (i: number): Buffer => digest('dedup', i);

describe('FileState (checkpoint on disk + tail in memory)', function () {
  this.timeout(60_000);
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'fulgor-file-state-'));
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  /** Every root, a spread of nodes, lookups, keys and offsets of `state` agree with the in-memory tree `ref`. */
  function assertAgrees(state: FileState, ref: CompactHashTree): void {
    const n = ref.size;
    assert.equal(state.size, n);
    for (let size = 0; size <= n; size += Math.max(1, Math.floor(n / 97))) assert.ok(state.root(size).equals(ref.root(size)), `root ${size}`);
    assert.ok(state.root().equals(ref.root()));
    for (const id of perfectSubtrees({ start: 0, end: n })) assert.ok(state.node(id.level, id.index).equals(ref.node(id)));
    for (let i = 0; i < n; i += 13) {
      assert.ok(state.leafHash(i).equals(ref.leafHash(i)), `leaf ${i}`);
      assert.equal(state.findLeaf(leaf(i)), i % 500, `leaf lookup ${i}`);
      assert.equal(state.findDedup(dedup(i)), i, `dedup lookup ${i}`);
      assert.ok(state.dedupKey(i).equals(dedup(i)));
      assert.equal(state.offset(i), 1000 + 10 * i);
    }
    assert.equal(state.findDedup(dedup(n)), undefined);
    assert.equal(state.findLeaf(digest('absent', 1)), undefined);
  }

  it('serves the tree, both lookups, keys and offsets from checkpoints merged at odd sizes, across reopens', async () => {
    const ref = new CompactHashTree();
    let state = new FileState();
    const append = (to: number): void => {
      for (let i = state.size; i < to; i++) {
        if (i >= ref.size) ref.append(leaf(i));
        state.append(leaf(i), dedup(i), 1000 + 10 * i);
      }
    };
    const meta = (): { end: number; newest: number; entriesCrc: number } => ({ end: 1000 + 10 * state.size, newest: state.size, entriesCrc: 7 });
    for (const delta of [1, 1, 1, 92, 1, 855, 440, 1464, 1058]) {
      const stop = state.size + delta;
      append(stop);
      // A checkpoint captured now, written while more entries are appended (as the store's background write).
      const tail = state.tail(meta());
      append(stop + 37);
      state.rebase(await writeCheckpoint(dir, state.base, tail));
      assert.equal(state.checkpointed, stop);
      assert.equal(state.tailSize, 37);
      assertAgrees(state, ref);
    }
    // Reopen: a state from the checkpoint alone, then the 37 entries after it appended again.
    const size = state.base!.size;
    state.base!.close();
    const reopened = await openCheckpoint(dir);
    assert.ok(reopened);
    assert.equal(reopened.size, size);
    state = new FileState(reopened);
    assert.equal(state.tailSize, 0);
    append(size + 37);
    assertAgrees(state, ref);
    // Only levels below TOP_LEVEL are read from disk; the rest stays whole in memory.
    assert.ok(Math.log2(size) > TOP_LEVEL);
    state.base!.close();
  });
});
