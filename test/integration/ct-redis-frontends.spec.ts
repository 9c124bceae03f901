// Two CT log frontends (each its own Redis connection, log instance and HTTP server) on one Redis serve ONE log:
// concurrent submissions to both, duplicates sent to both, then both must agree on the tree, prove every SCT's leaf,
// and get-entries must hold every distinct submission exactly once. Skipped when no Redis is reachable.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { listenLog, type ListeningLog } from '../../ct/listen.js';
import { silentLogger } from '../../lib/log.js';
import {
  createCtClient,
  createLog,
  hashLeaf,
  merkleTreeLeaf,
  parseMerkleTreeLeaf,
  rootOfLeafHashes,
  signedEntryForChain,
  verifyInclusion,
  type CtClient,
  type LogStore,
  type Sct,
} from '../../ct/index.js';
import { dropRedisLog, openRedisStore, probeRedis } from '../../ct/redis-store.js';
import { CODE_SIGNING, logSigner, makePki, POISON } from '../unit/ct/helpers.js';

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const DISTINCT = 200;
const DUPLICATE_EVERY = 5; // every 5th chain is also sent to the other frontend, concurrently

interface Frontend {
  store: LogStore;
  http: ListeningLog;
  client: CtClient;
}

describe('CT log: two frontends sharing one Redis', function () {
  this.timeout(120_000);
  const prefix = `fulgor-test-${randomBytes(6).toString('hex')}`;
  const frontends: Frontend[] = [];

  before(async function () {
    const reason = await probeRedis(REDIS_URL, 1_000);
    if (reason !== undefined) {
      console.warn(`      SKIPPED: no Redis reachable at ${REDIS_URL} (${reason}); set REDIS_URL to run these tests`);
      this.skip();
    }
  });

  after(async () => {
    for (const f of frontends) {
      await f.http.close();
      await f.store.close();
    }
    if (frontends.length > 0) await dropRedisLog(REDIS_URL, prefix);
  });

  it('sequences concurrent submissions into one consistent, duplicate-free tree', async () => {
    const pki = await makePki({ intermediateEkus: [CODE_SIGNING] });
    const signer = logSigner(); // one log key and one root set for both frontends: one log
    for (let k = 0; k < 2; k++) {
      const store = await openRedisStore(REDIS_URL, { prefix });
      const log = createLog({ signer, roots: [pki.root.der], store });
      const http = await listenLog(log, { host: '127.0.0.1', port: 0, logger: silentLogger });
      frontends.push({ store, http, client: createCtClient({ url: http.url, logPublicKeySpki: signer.spki }) });
    }
    const [a, b] = frontends as [Frontend, Frontend];

    const chains = await Promise.all(
      Array.from({ length: DISTINCT }, async () => [await pki.leaf({ trailing: [POISON] }), pki.intermediate.der]),
    );
    // Chain i goes to frontend i % 2; every DUPLICATE_EVERY-th also to the other one, all at once. Each SCT verifies
    // (the client checks it against the log key).
    const submissions = chains.flatMap((chain, i) => {
      const first = i % 2 ? b : a;
      const other = i % 2 ? a : b;
      return i % DUPLICATE_EVERY === 0 ? [{ i, to: first, chain }, { i, to: other, chain }] : [{ i, to: first, chain }];
    });
    const scts = await Promise.all(submissions.map((s) => s.to.client.addPreChain(s.chain).then((sct) => ({ i: s.i, sct }))));

    const sctFor = new Map<number, Sct>();
    for (const { i, sct } of scts) {
      const seen = sctFor.get(i);
      if (seen) assert.equal(sct.timestamp, seen.timestamp, `both frontends gave chain ${i} the same timestamp`);
      else sctFor.set(i, sct);
    }

    // Quiescent: both frontends serve the same tree.
    const [sthA, sthB] = [await a.client.getSth(), await b.client.getSth()];
    assert.equal(sthA.treeSize, DISTINCT, 'one leaf per distinct submission');
    assert.equal(sthB.treeSize, sthA.treeSize);
    assert.ok(sthB.rootHash.equals(sthA.rootHash), 'both frontends have the same root');

    // Every SCT's leaf is provable from either frontend.
    const leafHashes = chains.map((chain, i) =>
      hashLeaf(merkleTreeLeaf({ timestamp: sctFor.get(i)!.timestamp, entry: signedEntryForChain(chain, 'precert'), extensions: Buffer.alloc(0) })),
    );
    const indices = await Promise.all(
      leafHashes.flatMap((leaf, i) =>
        [a, b].map(async (f) => {
          const proof = await f.client.getProofByHash(leaf, sthA.treeSize);
          assert.ok(verifyInclusion(proof.leafIndex, sthA.treeSize, leaf, proof.auditPath, sthA.rootHash), `chain ${i}`);
          return proof.leafIndex;
        }),
      ),
    );
    for (let i = 0; i < DISTINCT; i++) assert.equal(indices[2 * i], indices[2 * i + 1], 'both frontends prove the same index');
    assert.equal(new Set(indices).size, DISTINCT, 'distinct submissions have distinct indices');

    // The auditor's view: every index once, every distinct submission exactly once, at the index its proof named.
    for (const f of [a, b]) {
      const entries = await f.client.getEntries(0, sthA.treeSize - 1);
      assert.equal(entries.length, DISTINCT);
      const hashes = entries.map((e) => hashLeaf(e.leafInput));
      assert.ok(rootOfLeafHashes(hashes).equals(sthA.rootHash), 'get-entries rebuilds the signed root');
      const position = new Map(hashes.map((h, index) => [h.toString('hex'), index]));
      assert.equal(position.size, DISTINCT, 'no leaf appears twice');
      leafHashes.forEach((leaf, i) => assert.equal(position.get(leaf.toString('hex')), indices[2 * i], `chain ${i} once, at its index`));
      const tbs = new Set(entries.map((e) => {
        const leaf = parseMerkleTreeLeaf(e.leafInput);
        assert.equal(leaf.entry.type, 'precert');
        return leaf.entry.type === 'precert' ? leaf.entry.tbsCertificate.toString('hex') : '';
      }));
      assert.equal(tbs.size, DISTINCT, 'each distinct precert TBS exactly once');
    }
  });
});
