import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { appendFile, mkdtemp, open, readFile, rm, stat, truncate, writeFile } from 'node:fs/promises';
import { createRequire, syncBuiltinESMExports } from 'node:module';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { openFileStore } from '../../../ct/file-store.js';
import { checkAgainstLatestSth } from '../../../ct/self-check.js';
import { decodeRecord, HEADER_BYTES } from '../../../ct/file-records.js';
import { hashLeaf, rootHash, rootOfLeafHashes } from '../../../ct/merkle.js';
import type { LogStore, NewEntry } from '../../../ct/store.js';
import { merkleTreeLeaf } from '../../../ct/structures.js';
import { memoryLogger } from '../../../lib/log.js';
import { describeLogStoreContract } from '../../helpers/log-store-contract.js';
import { flipByte } from '../../helpers/file-damage.js';

const entry = (i: number, size = 0): NewEntry => {
  const certificate = Buffer.concat([Buffer.from(`cert-${i}-`), Buffer.alloc(size, i & 0xff)]);
  const leafInput = merkleTreeLeaf({ timestamp: 5000 + i, entry: { type: 'x509', certificate }, extensions: Buffer.alloc(0) });
  const dedupKey = hashLeaf(Buffer.from(`key-${i}`));
  return { leafInput, extraData: Buffer.from(`extra-${i}`), leafHash: hashLeaf(leafInput), dedupKey, timestamp: 5000 + i };
};
const range = (a: number, b: number): number[] => Array.from({ length: b - a }, (_, i) => a + i);
const entriesFile = (dir: string): string => join(dir, 'entries.log');

/** Record start offsets of the entries file. */
async function recordOffsets(dir: string): Promise<number[]> {
  const buf = await readFile(entriesFile(dir));
  const out: number[] = [];
  for (let at = HEADER_BYTES; at < buf.length; ) {
    const d = decodeRecord(buf, at);
    if (!d) break;
    out.push(at);
    at = d.end;
  }
  return out;
}

describe('file store', function () {
  this.timeout(60_000);
  let dir: string;
  let store: LogStore | undefined;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'fulgor-file-store-'));
  });
  afterEach(async () => {
    await store?.close();
    store = undefined;
    await rm(dir, { recursive: true, force: true });
  });

  /** Fills a store with entries 0..n-1 in batches of `batch`, then closes it. */
  async function fill(n: number, batch = 4): Promise<void> {
    const s = await openFileStore(dir);
    for (let i = 0; i < n; i += batch) await s.sequence(range(i, Math.min(n, i + batch)).map((j) => entry(j)));
    await s.close();
  }

  it('keeps entries, tree, indexes, dedup and the STH across a reopen', async () => {
    store = await openFileStore(dir);
    for (let i = 0; i < 30; i += 7) await store.sequence(range(i, Math.min(30, i + 7)).map((j) => entry(j)));
    const root = await rootHash(store, 30);
    const sth = { treeSize: 30, timestamp: 9999, rootHash: root, signature: Buffer.from('sig') };
    await store.publishSth(sth);
    await store.close();

    store = await openFileStore(dir);
    assert.equal(await store.size(), 30);
    assert.ok((await rootHash(store, 30)).equals(rootOfLeafHashes(range(0, 30).map((i) => entry(i).leafHash))));
    assert.ok((await rootHash(store, 30)).equals(root));
    const got = await store.getEntries(0, 30);
    got.forEach((e, i) => {
      assert.ok(e.leafInput.equals(entry(i).leafInput), `leaf ${i}`);
      assert.ok(e.extraData.equals(entry(i).extraData), `extra ${i}`);
    });
    assert.deepEqual(await store.latestSth(), sth);
    assert.equal(await store.newestTimestamp(), 5029);
    assert.equal(await store.indexByLeafHash(entry(17).leafHash), 17);
    const [dup, fresh] = await store.sequence([{ ...entry(99), dedupKey: entry(12).dedupKey }, entry(30)]);
    assert.deepEqual(dup, { index: 12, leafInput: entry(12).leafInput, duplicate: true });
    assert.equal(fresh!.index, 30);
    await checkAgainstLatestSth(store);
  });

  it('writes a whole batch with one write and one fdatasync (group commit), durable across a reopen', async () => {
    store = await openFileStore(dir);
    const probe = await open(join(dir, 'probe'), 'w');
    const proto = Object.getPrototypeOf(probe) as { write: (...a: unknown[]) => unknown; datasync: () => unknown };
    await probe.close();
    const { write, datasync } = proto;
    // The store writes synchronously (fs.writeSync, so that its fdatasync starts in the same turn); either kind of
    // write counts.
    const fs = createRequire(import.meta.url)('node:fs') as { writeSync: (...a: unknown[]) => number };
    const { writeSync } = fs;
    const calls = { write: 0, datasync: 0 };
    proto.write = function (this: unknown, ...a: unknown[]) {
      calls.write++;
      return write.apply(this, a);
    };
    proto.datasync = function (this: unknown) {
      calls.datasync++;
      return datasync.apply(this);
    };
    fs.writeSync = (...a: unknown[]) => {
      calls.write++;
      return writeSync(...a);
    };
    syncBuiltinESMExports();
    try {
      const results = await store.sequence(range(0, 500).map((i) => entry(i, 300)));
      assert.deepEqual(results.map((r) => r.index), range(0, 500));
    } finally {
      Object.assign(proto, { write, datasync });
      fs.writeSync = writeSync;
      syncBuiltinESMExports();
    }
    assert.deepEqual(calls, { write: 1, datasync: 1 });
    await store.close();
    store = await openFileStore(dir);
    assert.equal(await store.size(), 500);
    assert.ok((await store.getEntries(499, 500))[0]!.leafInput.equals(entry(499, 300).leafInput));
  });

  it('issues a batch’s fdatasync within the sequence() call, not a promise turn later', async () => {
    store = await openFileStore(dir);
    await store.sequence([entry(0)]);
    const probe = await open(join(dir, 'probe'), 'w');
    const proto = Object.getPrototypeOf(probe) as { datasync: () => unknown };
    await probe.close();
    const { datasync } = proto;
    let syncs = 0;
    proto.datasync = function (this: unknown) {
      syncs++;
      return datasync.apply(this);
    };
    try {
      const done = store.sequence([entry(1), entry(2)]);
      assert.equal(syncs, 1, 'the fdatasync is under way when sequence() returns');
      assert.deepEqual((await done).map((r) => r.index), [1, 2]);
    } finally {
      Object.assign(proto, { datasync });
    }
  });

  it('drops only a torn final record (cut short by the crash) and keeps working', async () => {
    await fill(10);
    const offsets = await recordOffsets(dir);
    const size = (await stat(entriesFile(dir))).size;
    await truncate(entriesFile(dir), size - 5);
    const logger = memoryLogger();
    store = await openFileStore(dir, { logger });
    assert.equal(await store.size(), 9);
    assert.equal((await stat(entriesFile(dir))).size, offsets[9], 'the torn record is truncated away');
    assert.ok(logger.lines.some((l) => l.includes('torn write')), logger.lines.join('\n'));
    assert.ok((await rootHash(store, 9)).equals(rootOfLeafHashes(range(0, 9).map((i) => entry(i).leafHash))));
    await store.sequence([entry(9)]);
    await store.close();
    store = await openFileStore(dir);
    assert.equal(await store.size(), 10);
  });

  for (const [what, tail] of [
    ['a partial header', Buffer.from([0, 0, 1])],
    ['a header claiming more bytes than exist', Buffer.from('0000ffff12345678abcdef', 'hex')],
    ['zeros the file system extended the file with', Buffer.alloc(8192)],
    ['a complete-length record with a bad checksum', Buffer.concat([Buffer.from('0000004000000000', 'hex'), Buffer.alloc(64, 7)])],
  ] as const) {
    it(`drops a garbage tail: ${what}`, async () => {
      await fill(6, 3);
      await appendFile(entriesFile(dir), tail);
      store = await openFileStore(dir);
      assert.equal(await store.size(), 6);
      assert.equal((await store.getEntries(5, 6))[0]!.extraData.toString(), 'extra-5');
    });
  }

  it('drops the unreadable rest of a final commit, keeping its intact first records', async () => {
    await fill(4, 4);
    const s = await openFileStore(dir);
    await s.sequence(range(4, 9).map((i) => entry(i)));
    await s.close();
    const offsets = await recordOffsets(dir);
    await flipByte(entriesFile(dir), offsets[6]! + 20); // third record of the last commit; two intact ones follow
    store = await openFileStore(dir);
    assert.equal(await store.size(), 6);
  });

  it('refuses to open with corruption before intact data, naming the offset', async () => {
    await fill(8, 2);
    const offsets = await recordOffsets(dir);
    await flipByte(entriesFile(dir), offsets[3]! + 30); // inside an earlier, fsynced commit
    await assert.rejects(openFileStore(dir), new RegExp(`corrupt at offset ${offsets[3]} of .*.*a later commit follows`));
    await flipByte(entriesFile(dir), offsets[3]! + 30);
    await flipByte(entriesFile(dir), offsets[2]! + 12); // the first record of a commit, intact records after it
    await assert.rejects(openFileStore(dir), new RegExp(`corrupt at offset ${offsets[2]} of .*.*data follows`));
    await writeFile(entriesFile(dir), 'not a log at all');
    await assert.rejects(openFileStore(dir), /not a Fulgor CT log entries file/);
  });

  it('refuses a second open of the same directory in this process; close releases it and keeps LOCK', async () => {
    store = await openFileStore(dir);
    await assert.rejects(openFileStore(dir), /already open in this process/);
    await store.close();
    const both = await Promise.allSettled([openFileStore(dir), openFileStore(dir)]); // concurrent opens: one wins
    const won = both.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
    const lost = both.flatMap((r) => (r.status === 'rejected' ? [(r.reason as Error).message] : []));
    assert.equal(won.length, 1);
    assert.match(lost[0]!, /already open in this process/);
    await won[0]!.close();
    store = await openFileStore(dir);
    await store.close();
    store = undefined;
    assert.equal(await readFile(join(dir, 'LOCK'), 'utf8'), '', 'LOCK stays (never unlinked), emptied of its holder');
  });

  it('lets the kernel lock decide, not what LOCK says: a LOCK naming a live process, or this one, is no obstacle', async () => {
    for (const pid of [process.ppid, process.pid]) {
      await writeFile(join(dir, 'LOCK'), `${pid}\n`); // what an earlier version wrote, or a copied directory holds
      const logger = memoryLogger();
      store = await openFileStore(dir, { logger });
      assert.ok(logger.lines.some((l) => l.includes('previous holder ended without closing')), logger.lines.join('\n'));
      const holder = JSON.parse(await readFile(join(dir, 'LOCK'), 'utf8')) as { pid: number; hostname: string };
      assert.deepEqual([holder.pid, holder.hostname], [process.pid, hostname()]);
      await store.close();
      store = undefined;
    }
  });

  it('refuses while another process holds the lock, naming it; a SIGKILLed holder frees it at once', async () => {
    const fileStore = new URL('../../../ct/file-store.js', import.meta.url).href;
    const script = `const { openFileStore } = await import(${JSON.stringify(fileStore)});
      await openFileStore(${JSON.stringify(dir)}); console.log('locked'); setInterval(() => {}, 1 << 30);`;
    const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
    const exited = new Promise<void>((r) => child.once('exit', () => r()));
    try {
      await new Promise<void>((resolve, reject) => {
        child.stdout.setEncoding('utf8').on('data', (d: string) => d.includes('locked') && resolve());
        child.once('exit', (code) => reject(new Error(`the holder exited (${code}) before locking`)));
      });
      await assert.rejects(openFileStore(dir), (e: Error) => {
        assert.ok(e.message.includes(`in use by process ${child.pid} on host ${hostname()} (holding it since `), e.message);
        return true;
      });
      assert.ok(!(await readFile(join(dir, 'LOCK'), 'utf8')).includes(String(process.pid)), 'a refused open leaves LOCK alone');
    } finally {
      child.kill('SIGKILL');
      await exited;
    }
    store = await openFileStore(dir); // no waiting, no stale-lock judgement: the kernel released it with the process
    await store.sequence([entry(0)]);
    assert.equal(await store.size(), 1);
  });

  it('checkAgainstLatestSth refuses a store that lost or changed signed entries', async () => {
    store = await openFileStore(dir);
    await store.sequence(range(0, 5).map((i) => entry(i)));
    await checkAgainstLatestSth(store); // no STH yet
    const root = await rootHash(store, 4);
    await store.publishSth({ treeSize: 4, timestamp: 10, rootHash: root, signature: Buffer.from('s') });
    await checkAgainstLatestSth(store);
    await store.publishSth({ treeSize: 4, timestamp: 11, rootHash: Buffer.alloc(32), signature: Buffer.from('s') });
    await assert.rejects(checkAgainstLatestSth(store), /root at size 4 is .* but the latest published STH says 0000/);
    await store.publishSth({ treeSize: 6, timestamp: 12, rootHash: root, signature: Buffer.from('s') });
    await assert.rejects(checkAgainstLatestSth(store), /holds 5 entries but the latest published STH covers 6/);
  });

  it('rejects bad ranges and use after close', async () => {
    store = await openFileStore(dir);
    await store.sequence([entry(0)]);
    await assert.rejects(store.getEntries(0, 2), RangeError);
    assert.deepEqual(await store.getEntries(1, 1), []);
    await store.close();
    await assert.rejects(store.sequence([entry(1)]), /closed/);
    await store.close(); // idempotent
    store = undefined;
  });

  it('reopens a 50,000-entry log intact (reopen time is measured in npm run bench)', async () => {
    const n = 50_000;
    let s = await openFileStore(dir);
    for (let i = 0; i < n; i += 1000) await s.sequence(range(i, i + 1000).map((j) => entry(j, 1000)));
    const root = await rootHash(s, n);
    await s.close();
    s = await openFileStore(dir);
    store = s;
    assert.equal(await s.size(), n);
    assert.ok((await rootHash(s, n)).equals(root));
    const [last] = await s.getEntries(n - 1, n);
    assert.ok(last!.leafInput.equals(entry(n - 1, 1000).leafInput));
  });

});

describeLogStoreContract('file', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'fulgor-file-contract-'));
  let store = await openFileStore(dir);
  return {
    store,
    reopen: async () => {
      await store.close();
      store = await openFileStore(dir);
      return store;
    },
    cleanup: () => rm(dir, { recursive: true, force: true }),
  };
});
