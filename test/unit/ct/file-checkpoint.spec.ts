import assert from 'node:assert/strict';
import { copyFile, mkdtemp, readFile, rm, stat, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openFileStore, type OpenStats } from '../../../ct/file-store.js';
import { hashLeaf, rootHash, rootOfLeafHashes } from '../../../ct/merkle.js';
import { checkAgainstLatestSth } from '../../../ct/self-check.js';
import type { LogStore, NewEntry } from '../../../ct/store.js';
import { merkleTreeLeaf } from '../../../ct/structures.js';
import { memoryLogger } from '../../../lib/log.js';
import { flipByte } from '../../helpers/file-damage.js';

const entry = (i: number): NewEntry => {
  const certificate = Buffer.from(`checkpoint-cert-${i}`);
  const leafInput = merkleTreeLeaf({ timestamp: 7000 + i, entry: { type: 'x509', certificate }, extensions: Buffer.alloc(0) });
  return { leafInput, extraData: Buffer.from(`extra-${i}`), leafHash: hashLeaf(leafInput), dedupKey: hashLeaf(Buffer.from(`k-${i}`)), timestamp: 7000 + i };
};
const range = (a: number, b: number): number[] => Array.from({ length: b - a }, (_, i) => a + i);
const rootOf = (n: number): Buffer => rootOfLeafHashes(range(0, n).map((i) => entry(i).leafHash));

/** Opens `dir` and returns the store with what its open reported (checkpoint used, records parsed and checked). */
async function openWithStats(dir: string, checkpointEvery?: number): Promise<{ store: LogStore; stats: OpenStats; lines: string[] }> {
  const logger = memoryLogger();
  const store = await openFileStore(dir, { logger, ...(checkpointEvery ? { checkpointEvery } : {}) });
  const opened = logger.lines.map((l) => JSON.parse(l) as Record<string, unknown>).find((l) => l['msg'] === 'CT log file store opened');
  assert.ok(opened, logger.lines.join('\n'));
  const { checkpoint, recordsParsed, recordsChecked } = opened as unknown as OpenStats;
  return { store, stats: { checkpoint, recordsParsed, recordsChecked }, lines: logger.lines };
}

/** The store holds exactly entries 0..n-1: roots, entries, both indexes. */
async function assertHolds(store: LogStore, n: number): Promise<void> {
  assert.equal(await store.size(), n);
  assert.ok((await rootHash(store, n)).equals(rootOf(n)), 'root');
  for (const i of [0, Math.floor(n / 2), n - 1]) {
    assert.equal(await store.indexByLeafHash(entry(i).leafHash), i, `leaf-hash index ${i}`);
    assert.equal((await store.getEntries(i, i + 1))[0]!.extraData.toString(), `extra-${i}`);
    const [dup] = await store.sequence([{ ...entry(10_000 + i), dedupKey: entry(i).dedupKey }]);
    assert.deepEqual(dup, { index: i, leafInput: entry(i).leafInput, duplicate: true });
  }
  assert.equal(await store.newestTimestamp(), 7000 + n - 1);
}

describe('file store checkpoint', function () {
  this.timeout(60_000);
  let dir: string;
  let store: LogStore | undefined;
  const checkpointFile = (): string => join(dir, 'checkpoint.bin');
  /** What a crash would leave, in a directory of its own: entries.log and the last renamed checkpoint, no close. */
  const crashCopy = async (): Promise<string> => {
    const copy = await mkdtemp(join(tmpdir(), 'fulgor-checkpoint-copy-'));
    await copyFile(checkpointFile(), join(copy, 'checkpoint.bin'));
    await copyFile(join(dir, 'entries.log'), join(copy, 'entries.log'));
    return copy;
  };
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'fulgor-checkpoint-'));
  });
  afterEach(async () => {
    await store?.close();
    store = undefined;
    await rm(dir, { recursive: true, force: true });
  });

  async function fill(from: number, to: number, batch = 7): Promise<void> {
    const s = await openFileStore(dir);
    for (let i = from; i < to; i += batch) await s.sequence(range(i, Math.min(to, i + batch)).map(entry));
    await s.close();
  }

  it('reopens from the checkpoint written on close, parsing no record and checking the same few at any size', async () => {
    const checked: number[] = [];
    for (const n of [300, 3000]) {
      await rm(dir, { recursive: true, force: true });
      await fill(0, n, 50);
      const { store: s, stats } = await openWithStats(dir);
      store = s;
      assert.deepEqual({ checkpoint: stats.checkpoint, recordsParsed: stats.recordsParsed }, { checkpoint: n, recordsParsed: 0 });
      checked.push(stats.recordsChecked);
      const root = rootOf(n);
      await s.publishSth({ treeSize: n, timestamp: 1, rootHash: root, signature: Buffer.from('s') });
      await checkAgainstLatestSth(s); // the self-check proves the stored STH's root from the checkpoint's levels
      await assertHolds(s, n);
      await s.close();
      store = undefined;
    }
    assert.ok(checked.every((c) => c >= 1 && c <= 9), `records read to check the checkpoint: ${checked.join(', ')}`);
  });

  it('replays only the records after a stale checkpoint', async () => {
    await fill(0, 100);
    await copyFile(checkpointFile(), join(dir, 'old-checkpoint'));
    await fill(100, 150);
    await copyFile(join(dir, 'old-checkpoint'), checkpointFile());
    const { store: s, stats } = await openWithStats(dir);
    store = s;
    assert.deepEqual({ checkpoint: stats.checkpoint, recordsParsed: stats.recordsParsed }, { checkpoint: 100, recordsParsed: 50 });
    await assertHolds(s, 150);
    await s.sequence([entry(150)]);
    await s.close();
    const again = await openWithStats(dir);
    store = again.store;
    // The open rewrote the checkpoint at 150 (50 records had been parsed); one more entry is less than 1/16 of the log,
    // so the stop did not rewrite it again: the next open parses that one record.
    assert.deepEqual({ checkpoint: again.stats.checkpoint, recordsParsed: again.stats.recordsParsed }, { checkpoint: 150, recordsParsed: 1 });
    await assertHolds(again.store, 151);
  });

  it('writes checkpoints in the background every checkpointEvery entries; a copy taken mid-run reopens from one', async () => {
    const s = await openFileStore(dir, { checkpointEvery: 10 });
    store = s;
    for (let i = 0; i < 25; i += 5) await s.sequence(range(i, i + 5).map(entry));
    for (let t = 0; t < 200 && (await stat(checkpointFile()).catch(() => undefined)) === undefined; t++)
      await new Promise((r) => setTimeout(r, 25));
    await new Promise((r) => setTimeout(r, 200)); // let a write in flight finish its rename
    const copy = await crashCopy();
    try {
      const { store: c, stats } = await openWithStats(copy);
      try {
        assert.ok(stats.checkpoint !== null && stats.checkpoint >= 10, JSON.stringify(stats));
        assert.equal(stats.recordsParsed, 25 - stats.checkpoint);
        await assertHolds(c, 25);
      } finally {
        await c.close();
      }
    } finally {
      await rm(copy, { recursive: true, force: true });
    }
  });

  for (const [what, damage, reason] of [
    ['a flipped byte', (p: string) => flipByte(p, 200), /damaged/],
    ['a flipped byte in its lookup runs', async (p: string) => flipByte(p, (await stat(p)).size - 20), /damaged/],
    ['a torn write', async (p: string) => truncate(p, (await stat(p)).size - 100), /torn/],
    ['another file', (p: string) => writeFile(p, 'not a checkpoint at all, just some bytes long enough to have a header......'), /bad magic/],
  ] as const) {
    it(`ignores a checkpoint damaged by ${what}, rebuilds from the records and writes a good one`, async () => {
      await fill(0, 60);
      await damage(checkpointFile());
      const { store: s, stats, lines } = await openWithStats(dir);
      store = s;
      assert.ok(lines.some((l) => l.includes('checkpoint is unusable') && reason.test(l)), lines.join('\n'));
      assert.deepEqual({ checkpoint: stats.checkpoint, recordsParsed: stats.recordsParsed }, { checkpoint: null, recordsParsed: 60 });
      await assertHolds(s, 60);
      await s.close();
      const again = await openWithStats(dir);
      store = again.store;
      assert.deepEqual([again.stats.checkpoint, again.stats.recordsParsed], [60, 0]);
    });
  }

  it('rebuilding a long log, checkpoints every maxTail entries so memory holds at most that many', async () => {
    await fill(0, 1000, 10);
    await rm(checkpointFile());
    const logger = memoryLogger();
    const s = await openFileStore(dir, { logger, maxTail: 100 });
    store = s;
    // What a crash right after the open would leave: the checkpoints written during the rebuild.
    const copy = await crashCopy();
    try {
      const { store: c, stats } = await openWithStats(copy);
      try {
        assert.ok(stats.checkpoint !== null && stats.checkpoint >= 900, JSON.stringify(stats));
        await assertHolds(c, 1000);
      } finally {
        await c.close();
      }
    } finally {
      await rm(copy, { recursive: true, force: true });
    }
    await assertHolds(s, 1000);
  });

  it('does not trust a checkpoint ahead of the records (torn tail truncated after it): rebuilds', async () => {
    await fill(0, 40, 1);
    const size = (await stat(join(dir, 'entries.log'))).size;
    await truncate(join(dir, 'entries.log'), size - 5); // the last record torn: the checkpoint covers 40, the file 39
    const { store: s, stats, lines } = await openWithStats(dir);
    store = s;
    assert.ok(lines.some((l) => l.includes('does not match the entries file') && l.includes('holds')), lines.join('\n'));
    assert.ok(lines.some((l) => l.includes('torn write')), lines.join('\n'));
    assert.deepEqual({ checkpoint: stats.checkpoint, recordsParsed: stats.recordsParsed }, { checkpoint: null, recordsParsed: 39 });
    await assertHolds(s, 39);
    await s.close();
    const again = await openWithStats(dir);
    store = again.store;
    assert.deepEqual([again.stats.checkpoint, again.stats.recordsParsed], [39, 0]);
  });

  it('does not trust a checkpoint whose entries were rewritten under it (same length): rebuilds and refuses corruption', async () => {
    await fill(0, 30, 3);
    const log = join(dir, 'entries.log');
    const bytes = await readFile(log);
    await flipByte(log, Math.floor(bytes.length / 3));
    await assert.rejects(openFileStore(dir), /corrupt at offset/);
    await flipByte(log, Math.floor(bytes.length / 3));
    const { store: s, stats } = await openWithStats(dir);
    store = s;
    assert.deepEqual([stats.checkpoint, stats.recordsParsed], [30, 0]);
  });

  it('does not trust a checkpoint of another log: rebuilds', async () => {
    await fill(0, 20);
    await copyFile(checkpointFile(), join(dir, 'other'));
    await rm(join(dir, 'entries.log'));
    await rm(checkpointFile());
    await fill(100, 120);
    await copyFile(join(dir, 'other'), checkpointFile());
    const { store: s, stats, lines } = await openWithStats(dir);
    store = s;
    assert.ok(lines.some((l) => l.includes('does not match the entries file')), lines.join('\n'));
    assert.deepEqual([stats.checkpoint, stats.recordsParsed], [null, 20]);
    assert.equal(await s.indexByLeafHash(entry(119).leafHash), 19);
  });
});
