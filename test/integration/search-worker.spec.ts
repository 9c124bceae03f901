// The companion log's search index in its worker thread (search/worker-indexer.ts, search/index-worker.ts), over a
// real log and store: entries cross from the main thread's store and are found by exact value, glob and regex; a
// file index closed and started again resumes from its size (the log is not read again from entry 0) and finds what
// was logged while it was stopped; the store's own error (a 503 CtError) reaches the caller as that same object; an
// index that cannot be opened fails the start with the reason; stop() waits for a running catch-up (which stops
// there) and ends the thread.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLog, createMemoryStore, type CtLog, type LogStore } from '../../ct/index.js';
import { unavailable } from '../../ct/errors.js';
import { sequence } from '../../lib/der.js';
import { memoryLogger, silentLogger } from '../../lib/log.js';
import { parseSearchQuery, storeSource, type EntrySource } from '../../search/index.js';
import { startWorkerIndexer } from '../../search/worker-indexer.js';
import { CODE_SIGNING, ekuExtension, extension, logSigner, makePki, POISON } from '../unit/ct/helpers.js';

const sanExtension = (uri: string) => extension('2.5.29.17', sequence(Buffer.concat([Buffer.from([0x86, uri.length]), Buffer.from(uri)])), true);

describe('search: the index in a worker thread', function () {
  this.timeout(60_000);
  let dir: string;
  let store: LogStore;
  let log: CtLog;
  let pki: Awaited<ReturnType<typeof makePki>>;
  const addPrecerts = async (from: number, to: number) => {
    for (let i = from; i < to; i++) {
      const leaf = await pki.leaf({ exactExtensions: [ekuExtension([CODE_SIGNING]), sanExtension(`https://worker.test/${i % 2 ? 'odd' : 'even'}/${i}`), POISON] });
      await log.addPreChain([leaf, pki.intermediate.der]);
    }
  };
  const sans = async (indexer: Awaited<ReturnType<typeof startWorkerIndexer>>, san: string) =>
    (await indexer.query(parseSearchQuery({ san, limit: '1000' }), await store.size())).map((r) => r.san).sort();

  before(async () => {
    pki = await makePki({ intermediateEkus: [CODE_SIGNING] });
    store = createMemoryStore();
    log = createLog({ signer: logSigner(), roots: [pki.root.der], store });
    dir = mkdtempSync(join(tmpdir(), 'fulgor-search-worker-'));
  });
  after(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('indexes the main thread store and answers exact, glob and regex queries', async () => {
    await addPrecerts(0, 20);
    const indexer = await startWorkerIndexer({ location: ':memory:', source: storeSource(store, log.logId.toString('base64')), logger: silentLogger });
    try {
      assert.equal(await indexer.catchUp(), 20);
      assert.deepEqual(await sans(indexer, 'https://worker.test/odd/7'), ['https://worker.test/odd/7']);
      assert.equal((await sans(indexer, 'https://worker.test/*/1*')).length, 11); // 1, 10..19
      assert.deepEqual(await sans(indexer, '/^https://worker\\.test/even/1[24]$/'), ['https://worker.test/even/12', 'https://worker.test/even/14']);
    } finally {
      await indexer.stop();
    }
  });

  it('resumes a file index from its size after a stop, and finds what was logged meanwhile', async () => {
    const location = join(dir, 'index.sqlite');
    let asked: number[] = [];
    const counting = (): EntrySource => {
      const inner = storeSource(store, log.logId.toString('base64'));
      return { ...inner, getLeaves: (start, end) => (asked.push(start), inner.getLeaves(start, end)) };
    };
    const first = await startWorkerIndexer({ location, source: counting(), logger: silentLogger });
    assert.equal(await first.catchUp(), 20);
    await first.stop();
    await addPrecerts(20, 30);
    asked = [];
    const second = await startWorkerIndexer({ location, source: counting(), logger: silentLogger });
    try {
      assert.equal(await second.catchUp(), 30);
      assert.deepEqual(asked, [20], 'only the entries logged while it was stopped are read');
      assert.equal((await sans(second, 'https://worker.test/**')).length, 30);
    } finally {
      await second.stop();
    }
  });

  it("hands the store's own error back (a 503 stays a CtError with its status)", async () => {
    const failure = unavailable('the store is away');
    const source: EntrySource = { logId: 'x', size: async () => 5, getLeaves: async () => Promise.reject(failure) };
    const logger = memoryLogger();
    const indexer = await startWorkerIndexer({ location: ':memory:', source, logger });
    try {
      await assert.rejects(indexer.catchUp(), (e) => e === failure);
      // The poll loop logs the same failure and keeps going.
      indexer.follow(10);
      const deadline = Date.now() + 5_000;
      while (!logger.lines.some((l) => l.includes('search index catch-up failed') && l.includes('the store is away')) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      assert.ok(logger.lines.some((l) => l.includes('search index catch-up failed') && l.includes('the store is away')), logger.lines.join('\n'));
    } finally {
      await indexer.stop();
    }
  });

  it('fails to start with the reason when the index cannot be opened', async () => {
    await assert.rejects(startWorkerIndexer({ location: join(dir, 'no', 'such', 'dir', 'index.sqlite'), source: storeSource(store, 'x'), logger: silentLogger }), /directory does not exist|unable to open/i);
  });

  it('stops while a catch-up waits for the store: the catch-up settles, the thread ends, later calls fail', async () => {
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    const inner = storeSource(store, log.logId.toString('base64'));
    const source: EntrySource = { ...inner, getLeaves: async (s, e) => (await held, inner.getLeaves(s, e)) };
    const indexer = await startWorkerIndexer({ location: ':memory:', source, logger: silentLogger });
    const running = indexer.catchUp();
    await new Promise((r) => setTimeout(r, 50));
    const stopping = indexer.stop();
    setTimeout(release, 50);
    await stopping;
    assert.equal(typeof (await running), 'number', 'the running catch-up settled');
    await assert.rejects(indexer.catchUp(), /worker has exited/);
  });
});
