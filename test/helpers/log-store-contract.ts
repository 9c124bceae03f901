// The API suite every CT log storage backend must pass: the store contract itself, then the whole log over HTTP
// (submit, dedup, proofs, an auditor's walk with get-entries) on top of that store.
import assert from 'node:assert/strict';
import { listenLog, type ListeningLog } from '../../ct/listen.js';
import { silentLogger } from '../../lib/log.js';
import {
  createCtClient,
  createLog,
  hashLeaf,
  merkleTreeLeaf,
  parseMerkleTreeLeaf,
  precertTbs,
  parseCertificate,
  rootOfLeafHashes,
  signedEntryForChain,
  verifyConsistency,
  verifyInclusion,
  type CtLog,
  type LogStore,
} from '../../ct/index.js';
import { rootHash } from '../../ct/merkle.js';
import { TlsReader } from '../../ct/structures.js';
import { logSigner, makePki, POISON, type TestPki } from '../unit/ct/helpers.js';

export interface OpenedStore {
  readonly store: LogStore;
  /** Closes `store` and opens the same data again (durable backends). */
  readonly reopen?: () => Promise<LogStore>;
  readonly cleanup: () => Promise<void>;
}

const entry = (i: number, key = `k${i}`) => {
  const leafInput = merkleTreeLeaf({ timestamp: 1000 + i, entry: { type: 'x509', certificate: Buffer.from(`cert-${i}`) }, extensions: Buffer.alloc(0) });
  return { leafInput, extraData: Buffer.from(`extra-${i}`), leafHash: hashLeaf(leafInput), dedupKey: Buffer.from(key), timestamp: 1000 + i };
};


/** `durable: false` (memory) leaves out the reopen test, which only durable backends can pass. */
export function describeLogStoreContract(name: string, open: () => Promise<OpenedStore>, opts: { durable?: boolean } = {}): void {
  const durable = opts.durable ?? true;
  describe(`log store contract: ${name}`, function () {
    this.timeout(60_000);
    let opened: OpenedStore;
    let store: LogStore;
    beforeEach(async function () {
      opened = await open();
      store = opened.store;
    });
    afterEach(async () => {
      await store.close();
      await opened.cleanup();
    });

    it('sequences in order, deduplicates against the store and within a batch, and serves entries', async () => {
      assert.equal(await store.size(), 0);
      assert.equal(await store.newestTimestamp(), 0);
      const first = await store.sequence([entry(0), entry(1), entry(2)]);
      assert.deepEqual(first.map((s) => [s.index, s.duplicate]), [[0, false], [1, false], [2, false]]);
      const again = await store.sequence([entry(3), { ...entry(9), dedupKey: Buffer.from('k1') }, entry(4), { ...entry(8), dedupKey: Buffer.from('k3') }]);
      assert.deepEqual(again.map((s) => [s.index, s.duplicate]), [[3, false], [1, true], [4, false], [3, true]]);
      assert.ok(again[1]!.leafInput.equals(entry(1).leafInput), 'a duplicate gets the original leaf');
      assert.equal(await store.size(), 5);
      const got = await store.getEntries(1, 4);
      assert.deepEqual(got.map((e) => e.extraData.toString()), ['extra-1', 'extra-2', 'extra-3']);
      assert.equal(await store.indexByLeafHash(entry(4).leafHash), 4);
      assert.equal(await store.indexByLeafHash(Buffer.alloc(32)), undefined);
      assert.equal(await store.newestTimestamp(), 1004);
      const expected = rootOfLeafHashes([0, 1, 2, 3, 4].map((i) => entry(i).leafHash));
      assert.ok((await rootHash(store, 5)).equals(expected));
    });

    it('keeps the lowest index for a repeated leaf hash', async () => {
      await store.sequence([entry(0), { ...entry(0), dedupKey: Buffer.from('other') }]);
      assert.equal(await store.size(), 2);
      assert.equal(await store.indexByLeafHash(entry(0).leafHash), 0);
    });

    it('serves subtree hashes for every size (roots match a reference)', async () => {
      const all = Array.from({ length: 37 }, (_, i) => entry(i));
      for (let i = 0; i < all.length; i += 5) await store.sequence(all.slice(i, i + 5));
      for (const n of [1, 2, 3, 8, 13, 16, 31, 37])
        assert.ok((await rootHash(store, n)).equals(rootOfLeafHashes(all.slice(0, n).map((e) => e.leafHash))), `size ${n}`);
    });

    it('publishes STHs only forward', async () => {
      const sth = (treeSize: number, timestamp: number) => ({ treeSize, timestamp, rootHash: Buffer.alloc(32, treeSize), signature: Buffer.from([timestamp & 0xff]) });
      assert.equal(await store.latestSth(), undefined);
      assert.equal((await store.publishSth(sth(0, 10))).timestamp, 10);
      assert.equal((await store.publishSth(sth(0, 5))).timestamp, 10, 'an older STH never replaces a newer one');
      assert.equal((await store.publishSth(sth(3, 20))).treeSize, 3);
      assert.equal((await store.publishSth(sth(2, 30))).treeSize, 3, 'a smaller tree never replaces a larger one');
      assert.deepEqual(await store.latestSth(), sth(3, 20));
    });

    if (durable) it('keeps everything across a reopen', async () => {
      assert.ok(opened.reopen, 'a durable backend can reopen its data');
      await store.sequence([entry(0), entry(1), entry(2)]);
      await store.publishSth({ treeSize: 3, timestamp: 77, rootHash: Buffer.alloc(32, 1), signature: Buffer.from([1]) });
      store = await opened.reopen!();
      assert.equal(await store.size(), 3);
      assert.deepEqual((await store.getEntries(0, 3)).map((e) => e.extraData.toString()), ['extra-0', 'extra-1', 'extra-2']);
      assert.equal((await store.sequence([{ ...entry(5), dedupKey: Buffer.from('k2') }]))[0]!.index, 2, 'dedup survives');
      assert.equal((await store.latestSth())?.timestamp, 77);
      assert.equal(await store.newestTimestamp(), 1002);
    });

    describe('the log over HTTP on this store', () => {
      let pki: TestPki;
      let log: CtLog;
      let http: ListeningLog;
      beforeEach(async () => {
        pki = await makePki({ intermediateEkus: ['1.3.6.1.5.5.7.3.3'] });
        log = createLog({ signer: logSigner(), roots: [pki.root.der], store });
        http = await listenLog(log, { host: '127.0.0.1', port: 0, prefix: 'test', logger: silentLogger });
      });
      afterEach(() => http.close());

      it('submits, deduplicates, proves inclusion and consistency, and survives an auditor’s walk', async () => {
        const client = createCtClient({ url: http.url, logPublicKeySpki: log.publicKeySpki });
        const chains = await Promise.all(
          Array.from({ length: 12 }, async (_, i) => [await pki.leaf(i % 2 ? { trailing: [POISON] } : {}), pki.intermediate.der]),
        );
        const scts = await Promise.all(chains.map((c, i) => (i % 2 ? client.addPreChain(c) : client.addChain(c))));
        const sth1 = await client.getSth();
        assert.equal(sth1.treeSize, 12);
        const dup = await client.addPreChain(chains[1]!);
        assert.equal(dup.timestamp, scts[1]!.timestamp, 'a duplicate gets the original timestamp');
        const more = await client.addChain([await pki.leaf(), pki.intermediate.der]);
        const sth2 = await client.getSth();
        assert.equal(sth2.treeSize, 13, 'the duplicate added no leaf');
        assert.ok(sth2.timestamp > sth1.timestamp && sth2.timestamp >= more.timestamp);
        assert.ok(verifyConsistency(12, 13, sth1.rootHash, sth2.rootHash, await client.getSthConsistency(12, 13)));
        for (const [i, chain] of chains.entries()) {
          const signed = signedEntryForChain(chain, i % 2 ? 'precert' : 'x509');
          const leaf = hashLeaf(merkleTreeLeaf({ timestamp: scts[i]!.timestamp, entry: signed, extensions: Buffer.alloc(0) }));
          const proof = await client.getProofByHash(leaf, sth2.treeSize);
          assert.ok(verifyInclusion(proof.leafIndex, sth2.treeSize, leaf, proof.auditPath, sth2.rootHash), `entry ${i}`);
        }
        // The auditor: fetch every entry, rebuild the tree, compare; check precert extra_data against the leaf.
        const entries = await client.getEntries(0, sth2.treeSize - 1);
        assert.equal(entries.length, sth2.treeSize);
        assert.ok(rootOfLeafHashes(entries.map((e) => hashLeaf(e.leafInput))).equals(sth2.rootHash));
        for (const e of entries) {
          const leaf = parseMerkleTreeLeaf(e.leafInput);
          if (leaf.entry.type !== 'precert') continue;
          const r = new TlsReader(e.extraData);
          const precert = r.vec(3, 'pre_certificate');
          assert.ok(precertTbs(parseCertificate(precert)).equals(leaf.entry.tbsCertificate), 'extra_data precert matches the leaf TBS');
        }
      });
    });
  });
}
