// The Redis log store's sequencing script on its own, against a real Redis (REDIS_URL, default
// redis://127.0.0.1:6379; skipped without one): what it stores with a batch, what it refuses before writing
// anything, and when it hands the subtree work back to the frontend. Every test uses a fresh key prefix.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { hashChildren, hashLeaf, MerkleFrontier } from '../../../ct/merkle.js';
import { dropRedisLog, probeRedis } from '../../../ct/redis-store.js';
import { ChainIds, readStoredEntry, withChain } from '../../../ct/redis-entries.js';
import { SEQUENCE_LUA, sequenceArgv, type ExpectedTree, type SequenceReply } from '../../../ct/redis-scripts.js';
import { merkleTreeLeaf, precertExtraData } from '../../../ct/structures.js';
import type { NewEntry } from '../../../ct/store.js';

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

const entry = (i: number, key = `k${i}`): NewEntry => {
  const leafInput = Buffer.from(`leaf-${i}`);
  return { leafInput, extraData: Buffer.from(`extra-${i}`), leafHash: hashLeaf(leafInput), dedupKey: Buffer.from(key), timestamp: 2 ** 40 + i };
};

/** The subtrees `entries` complete when appended to `frontier` (which they are), in the script's order. */
function completed(frontier: MerkleFrontier, entries: readonly NewEntry[]): Buffer[] {
  const out: Buffer[] = [];
  for (const e of entries) frontier.push(e.leafHash, (_, hash) => out.push(hash));
  return out;
}

describe('Redis sequencing script', function () {
  this.timeout(30_000);
  let redis: Redis;
  let prefix: string;
  let base: string;
  let sequence: (expected: ExpectedTree | undefined, version: string, entries: readonly NewEntry[], nodes: readonly Buffer[]) => Promise<SequenceReply>;
  const hget = (key: string, field: string): Promise<Buffer | null> => redis.hgetBuffer(`${base}${key}`, field);

  before(async function () {
    const reason = await probeRedis(REDIS_URL, 1_000);
    if (reason !== undefined) {
      console.warn(`      SKIPPED: no Redis reachable at ${REDIS_URL} (${reason}); set REDIS_URL to run these tests`);
      this.skip();
    }
    redis = new Redis(REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 0 });
    await redis.connect();
    redis.defineCommand('ctSequence', { numberOfKeys: 4, lua: SEQUENCE_LUA });
  });
  after(() => redis?.disconnect());
  beforeEach(() => {
    prefix = `fulgor-test-${randomBytes(6).toString('hex')}`;
    base = `{${prefix}}:`;
    const run = (redis as unknown as { ctSequenceBuffer(...args: (string | Buffer)[]): Promise<SequenceReply> }).ctSequenceBuffer.bind(redis);
    sequence = (expected, version, entries, nodes) => run(`${base}n`, `${base}ts`, `${base}dd`, `${base}lh`, ...sequenceArgv(base, expected, version, entries, nodes, new ChainIds()));
  });
  afterEach(async () => void (await dropRedisLog(REDIS_URL, prefix)));

  it('stores the subtrees a batch completes with its leaves when the tree is the one the caller expected', async () => {
    const frontier = new MerkleFrontier();
    const all = Array.from({ length: 11 }, (_, i) => entry(i));
    // The empty tree has no version: the first batch cannot be planned for.
    assert.deepEqual(await sequence(undefined, 'v1', all.slice(0, 1), []), [0, [], 0, [], Buffer.from('v1')]);
    frontier.push(all[0]!.leafHash);
    const [n0, duplicates, nodesWritten, border, version] = await sequence({ size: 1, version: 'v1' }, 'v2', all.slice(1, 6), completed(frontier, all.slice(1, 6)));
    assert.deepEqual([n0, duplicates, nodesWritten, border, version], [1, [], 1, [], Buffer.from('v2')]);
    const second = await sequence({ size: 6, version: 'v2' }, 'v3', all.slice(6), completed(frontier, all.slice(6)));
    assert.deepEqual([second[0], second[2], second[3]], [6, 1, []]);
    const h = all.map((e) => e.leafHash);
    const n01 = hashChildren(h[0]!, h[1]!);
    const n0123 = hashChildren(n01, hashChildren(h[2]!, h[3]!));
    const n4567 = hashChildren(hashChildren(h[4]!, h[5]!), hashChildren(h[6]!, h[7]!));
    assert.deepEqual(await hget('h:1:0', '0'), n01);
    assert.deepEqual(await hget('h:2:0', '1'), n4567);
    assert.deepEqual(await hget('h:3:0', '0'), hashChildren(n0123, n4567));
    assert.deepEqual(await hget('h:1:0', '4'), hashChildren(h[8]!, h[9]!));
    assert.equal(await hget('h:1:0', '5'), null, 'leaf 10 completes nothing yet');
    assert.deepEqual(await hget('h:0:0', '10'), h[10]);
    assert.equal(await redis.get(`${base}n`), '11');
    assert.equal(await redis.get(`${base}ts`), String(2 ** 40 + 10));
    const stored = withChain(readStoredEntry((await hget('e:0', '7'))!), undefined);
    assert.deepEqual([stored.leafInput.toString(), stored.extraData.toString()], ['leaf-7', 'extra-7']);
  });

  it('ignores the caller’s subtrees and returns the border when the tree is not the one it expected', async () => {
    const frontier = new MerkleFrontier();
    const all = Array.from({ length: 9 }, (_, i) => entry(i));
    await sequence(undefined, 'a1', all.slice(0, 3), []);
    // Another size than expected (another frontend appended since).
    const [n0, , nodesWritten, border, version] = await sequence({ size: 1, version: 'a1' }, 'b1', all.slice(3, 5), completed(frontier, [all[0]!, ...all.slice(3, 5)]));
    assert.deepEqual([n0, nodesWritten, version], [3, 0, Buffer.from('b1')]);
    // [0, 3) is the subtrees (1, 0), never written here, and the leaf (0, 2).
    assert.deepEqual(border, [null, all[2]!.leafHash]);
    assert.equal(await hget('h:1:0', '1'), null, 'no subtree hash stored from a wrong guess');
    assert.equal(await redis.get(`${base}n`), '5', 'the entries are appended all the same');
    // The expected size but another version: this tree is not the one the caller's frontier describes (its last
    // batch was lost, say, and another frontend appended as many entries).
    const stale = new MerkleFrontier();
    [0, 1, 2, 3].forEach((i) => stale.push(entry(100 + i).leafHash));
    const again = await sequence({ size: 5, version: 'a2' }, 'a3', all.slice(5), completed(stale, [entry(104), ...all.slice(5)]).slice(0, 2));
    assert.deepEqual([again[0], again[2], again[4]], [5, 0, Buffer.from('a3')]);
    assert.equal(await hget('h:1:0', '2'), null, 'nothing stored from the stale frontier');
    assert.equal(await hget('h:2:0', '1'), null);
    // The right size and a version the tree had before: not the tree as it is.
    const earlier = new MerkleFrontier();
    all.forEach((e) => earlier.push(e.leafHash));
    const last = await sequence({ size: 9, version: 'b1' }, 'b2', [entry(59)], completed(earlier, [entry(59)]));
    assert.deepEqual([last[0], last[2]], [9, 0]);
  });

  it('hands the subtrees back when the batch holds a duplicate (its leaves are not the ones planned for)', async () => {
    const frontier = new MerkleFrontier();
    const batch = [entry(0), entry(1), entry(2, 'k0')];
    await sequence(undefined, 'v1', [entry(9)], []);
    frontier.push(entry(9).leafHash);
    const [n0, duplicates, nodesWritten, border] = await sequence({ size: 1, version: 'v1' }, 'v2', batch, completed(frontier, batch));
    assert.deepEqual([n0, nodesWritten, border], [1, 0, [entry(9).leafHash]]);
    assert.deepEqual(duplicates, [[2, 1, Buffer.concat([Buffer.from([0, 0, 0, 6]), Buffer.from('leaf-0extra-0')])]]);
    assert.equal(await redis.get(`${base}n`), '3');
    assert.equal(await hget('h:1:0', '1'), null);
  });

  it('refuses a batch whose subtree hashes do not fit, or whose metadata is cut, before writing anything', async () => {
    await sequence(undefined, 'v1', [entry(9)], []);
    const before = await redis.keys(`${base}*`);
    const batch = [entry(0), entry(1)];
    const tree = { size: 1, version: 'v1' };
    await assert.rejects(sequence(tree, 'v2', batch, []), /carries 0 subtree hashes, expected 1/);
    await assert.rejects(sequence(tree, 'v2', batch, [Buffer.alloc(32), Buffer.alloc(32)]), /carries 2 subtree hashes, expected 1/);
    const argv = sequenceArgv(base, tree, 'v2', batch, [Buffer.alloc(32)], new ChainIds());
    const meta = argv[4] as Buffer;
    for (const cut of [meta.subarray(0, meta.length - 1), meta.subarray(0, 1), Buffer.concat([meta, Buffer.alloc(1)])]) {
      argv[4] = cut;
      await assert.rejects(redis.eval(SEQUENCE_LUA, 4, `${base}n`, `${base}ts`, `${base}dd`, `${base}lh`, ...argv), /malformed batch/);
    }
    assert.deepEqual((await redis.keys(`${base}*`)).sort(), before.sort(), 'no key was written');
    assert.equal(await redis.get(`${base}n`), '1');
    assert.equal(await redis.get(`${base}v`), 'v1');
  });

  it('stores a chain its entries share once, in the same step as the entries, and refuses an entry naming a chain it lacks', async () => {
    const chain = [randomBytes(700), randomBytes(500)];
    const precertEntry = (i: number): NewEntry => {
      const leafInput = merkleTreeLeaf({
        timestamp: 2 ** 40 + i,
        entry: { type: 'precert', issuerKeyHash: Buffer.alloc(32, 7), tbsCertificate: randomBytes(300) },
        extensions: Buffer.alloc(0),
      });
      return { leafInput, extraData: precertExtraData(randomBytes(400), chain), leafHash: hashLeaf(leafInput), dedupKey: Buffer.from(`p${i}`), timestamp: 2 ** 40 + i };
    };
    const batch = [precertEntry(0), precertEntry(1), precertEntry(2)];
    await sequence(undefined, 'v1', batch, []);
    const chains = await redis.hgetallBuffer(`${base}c`);
    assert.equal(Object.keys(chains).length, 1, 'one chain stored for the batch');
    const chainBytes = Object.values(chains)[0]!;
    for (const [k, e] of batch.entries()) {
      const raw = (await hget('e:0', String(k)))!;
      const form = readStoredEntry(raw);
      assert.deepEqual(withChain(form, chainBytes), { leafInput: e.leafInput, extraData: e.extraData });
      assert.equal(raw.length, 1 + 4 + e.leafInput.length + 32 + (e.extraData.length - chainBytes.length), 'the entry holds its chain’s id, not its bytes');
    }
    // An entry that names a chain the batch does not carry: refused, nothing written.
    const argv = sequenceArgv(base, undefined, 'v2', [precertEntry(3)], [], new ChainIds());
    const before = await redis.get(`${base}n`);
    argv[6] = Buffer.alloc(0);
    await assert.rejects(redis.eval(SEQUENCE_LUA, 4, `${base}n`, `${base}ts`, `${base}dd`, `${base}lh`, ...argv), /names a chain the batch does not carry/);
    assert.equal(await redis.get(`${base}n`), before);
  });
});
