// The Redis log store against a real Redis (REDIS_URL, default redis://127.0.0.1:6379): the shared store contract,
// then what only a shared store has to get right: several instances (frontends) on one log. Every test uses a fresh
// random key prefix and deletes its keys afterwards. Without a reachable Redis the whole suite is skipped.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { connect as netConnect, createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { createLog, CtError, hashLeaf, merkleTreeLeaf, rootOfLeafHashes } from '../../../ct/index.js';
import { precertExtraData } from '../../../ct/structures.js';
import { listenLog } from '../../../ct/listen.js';
import { silentLogger } from '../../../lib/log.js';
import { logSigner, makePki } from './helpers.js';
import { rootHash } from '../../../ct/merkle.js';
import { dropRedisLog, openRedisStore, probeRedis } from '../../../ct/redis-store.js';
import type { LogStore, NewEntry, StoredSth } from '../../../ct/store.js';
import { describeLogStoreContract } from '../../helpers/log-store-contract.js';

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const testPrefix = (): string => `fulgor-test-${randomBytes(6).toString('hex')}`;

/** Skips the enclosing suite (from a `before` hook) when no Redis answers quickly. */
async function requireRedis(ctx: Mocha.Context): Promise<void> {
  const reason = await probeRedis(REDIS_URL, 1_000);
  if (reason === undefined) return;
  console.warn(`      SKIPPED: no Redis reachable at ${REDIS_URL} (${reason}); set REDIS_URL to run these tests`);
  ctx.skip();
}

const entry = (i: number, key = `k${i}`): NewEntry => {
  const timestamp = 1_000 + i;
  const leafInput = merkleTreeLeaf({ timestamp, entry: { type: 'x509', certificate: Buffer.from(`cert-${i}`) }, extensions: Buffer.alloc(0) });
  return { leafInput, extraData: Buffer.from(`extra-${i}`), leafHash: hashLeaf(leafInput), dedupKey: Buffer.from(key), timestamp };
};

/** One raw RESP command on its own socket (the tests reach under the store only to simulate a crashed frontend). */
async function rawCommand(...args: string[]): Promise<string> {
  const u = new URL(REDIS_URL);
  const cmds = [...(u.password ? [['AUTH', decodeURIComponent(u.username || 'default'), decodeURIComponent(u.password)]] : [])];
  if (u.pathname.length > 1) cmds.push(['SELECT', u.pathname.slice(1)]);
  cmds.push(args, ['QUIT']);
  const wire = cmds.map((c) => `*${c.length}\r\n${c.map((a) => `$${Buffer.byteLength(a)}\r\n${a}\r\n`).join('')}`).join('');
  return new Promise((resolve, reject) => {
    const socket = netConnect(Number(u.port || 6379), u.hostname);
    let reply = '';
    socket.on('data', (d) => (reply += d.toString('latin1')));
    socket.on('error', reject);
    socket.on('close', () => resolve(reply));
    socket.write(wire);
  });
}

/** A TCP relay to Redis that a test can cut (Redis then really is unreachable through it) and restore on the same port. */
async function redisRelay(): Promise<{ url: string; cut(): Promise<void>; restore(): Promise<void> }> {
  const target = new URL(REDIS_URL);
  const sockets = new Set<Socket>();
  let server: Server | undefined;
  let port = 0;
  const start = (): Promise<void> =>
    new Promise((resolve, reject) => {
      const s = createServer((client) => {
        const upstream = netConnect(Number(target.port || 6379), target.hostname);
        const drop = (): void => {
          for (const sock of [client, upstream]) sockets.delete(sock.destroy());
        };
        for (const sock of [client, upstream]) sockets.add(sock.on('error', drop).on('close', drop));
        client.pipe(upstream).pipe(client);
      });
      s.once('error', reject);
      s.listen(port, '127.0.0.1', () => {
        port = (s.address() as AddressInfo).port;
        server = s;
        resolve();
      });
    });
  const cut = (): Promise<void> =>
    new Promise((resolve) => {
      if (!server) return resolve();
      server.close(() => resolve());
      server = undefined;
      for (const sock of sockets) sock.destroy();
    });
  await start();
  const url = new URL(REDIS_URL);
  url.hostname = '127.0.0.1';
  url.port = String(port);
  return { url: url.toString(), cut, restore: start };
}

describe('Redis log store', function () {
  this.timeout(60_000);
  before(async function () {
    await requireRedis(this);
  });

  describeLogStoreContract('redis', async () => {
    const prefix = testPrefix();
    let store = await openRedisStore(REDIS_URL, { prefix });
    return {
      store,
      reopen: async () => {
        await store.close();
        return (store = await openRedisStore(REDIS_URL, { prefix }));
      },
      cleanup: async () => void (await dropRedisLog(REDIS_URL, prefix)),
    };
  });

  describe('shared by several instances', () => {
    let prefix: string;
    let a: LogStore;
    let b: LogStore;
    beforeEach(async () => {
      prefix = testPrefix();
      a = await openRedisStore(REDIS_URL, { prefix });
      b = await openRedisStore(REDIS_URL, { prefix });
    });
    afterEach(async () => {
      await Promise.all([a.close(), b.close()]);
      await dropRedisLog(REDIS_URL, prefix);
    });

    it('deduplicates across instances, also when they race', async () => {
      await a.sequence([entry(0), entry(1)]);
      const [dup, fresh] = await b.sequence([{ ...entry(7), dedupKey: Buffer.from('k1') }, entry(2)]);
      assert.deepEqual([dup!.index, dup!.duplicate, fresh!.index, fresh!.duplicate], [1, true, 2, false]);
      assert.ok(dup!.leafInput.equals(entry(1).leafInput), 'the duplicate gets the first instance’s leaf');
      // 2 × 20 batches of 5, every key submitted to both instances at once.
      const all = Array.from({ length: 100 }, (_, i) => entry(10 + i));
      const batches = Array.from({ length: 20 }, (_, k) => all.slice(k * 5, k * 5 + 5));
      const results = await Promise.all(batches.flatMap((batch) => [a.sequence(batch), b.sequence(batch)]));
      assert.equal(await a.size(), 103);
      const byKey = new Map<number, number>();
      results.flat().forEach((s, k) => {
        const i = k % 5 + 5 * Math.floor(k / 10);
        if (byKey.has(i)) assert.equal(s.index, byKey.get(i), 'both instances agree on the index');
        else byKey.set(i, s.index);
      });
      assert.equal(new Set(byKey.values()).size, 100, 'one index per key');
      assert.equal(results.flat().filter((s) => !s.duplicate).length, 100, 'each key appended exactly once');
      const stored = await b.getEntries(0, 103);
      const leaves = stored.map((e) => hashLeaf(e.leafInput));
      assert.ok((await rootHash(a, 103)).equals(rootOfLeafHashes(leaves)));
      assert.ok((await rootHash(b, 103)).equals(rootOfLeafHashes(leaves)));
    });

    it('keeps a consistent tree while instances append concurrently (roots for every size)', async () => {
      const all = Array.from({ length: 150 }, (_, i) => entry(i));
      const batches = Array.from({ length: 50 }, (_, k) => all.slice(k * 3, k * 3 + 3));
      await Promise.all(batches.map((batch, k) => (k % 2 ? a : b).sequence(batch)));
      const leaves = (await a.getEntries(0, 150)).map((e) => hashLeaf(e.leafInput));
      for (let n = 1; n <= 150; n++) assert.ok((await rootHash(n % 2 ? a : b, n)).equals(rootOfLeafHashes(leaves.slice(0, n))), `size ${n}`);
    });

    it('computes (and stores) interior nodes another frontend never wrote', async () => {
      const all = Array.from({ length: 24 }, (_, i) => entry(i));
      await a.sequence(all.slice(0, 16));
      // A frontend that crashed after the sequencing script but before storing the subtrees it completed.
      for (let level = 1; level <= 4; level++) await rawCommand('DEL', `{${prefix}}:h:${level}:0`);
      assert.match(await rawCommand('HEXISTS', `{${prefix}}:h:4:0`, '0'), /:0\r\n/);
      const want16 = rootOfLeafHashes(all.slice(0, 16).map((e) => e.leafHash));
      const [root16] = await b.getNodes([{ level: 4, index: 0 }]);
      assert.ok(root16!.equals(want16));
      assert.match(await rawCommand('HEXISTS', `{${prefix}}:h:4:0`, '0'), /:1\r\n/, 'the computed node was stored');
      // Sequencing on top of a missing border node (the left sibling of what the new leaves complete).
      await rawCommand('DEL', `{${prefix}}:h:3:0`, `{${prefix}}:h:4:0`);
      await b.sequence(all.slice(16, 24));
      assert.ok((await rootHash(a, 24)).equals(rootOfLeafHashes(all.map((e) => e.leafHash))));
      await assert.rejects(a.getNodes([{ level: 5, index: 0 }]), RangeError, 'a node beyond the tree is refused');
    });

    it('builds the right tree when Redis lost a frontend’s batches and another frontend appended as many entries', async () => {
      const all = Array.from({ length: 12 }, (_, i) => entry(i));
      await a.sequence(all.slice(0, 2));
      await a.sequence(all.slice(2, 4));
      // Redis comes back without those entries (a failover to a replica that had none of them), and b appends four
      // others: the tree has the size a's frontier has, but not its leaves.
      await dropRedisLog(REDIS_URL, prefix);
      await b.sequence(all.slice(4, 8));
      await a.sequence(all.slice(8, 12));
      const leaves = (await b.getEntries(0, 8)).map((e) => hashLeaf(e.leafInput));
      assert.deepEqual(leaves, [...all.slice(4, 8), ...all.slice(8, 12)].map((e) => e.leafHash));
      for (let n = 1; n <= 8; n++) assert.ok((await rootHash(n % 2 ? a : b, n)).equals(rootOfLeafHashes(leaves.slice(0, n))), `size ${n}`);
    });

    it('publishes STHs with a compare-and-set across instances: an older STH never replaces a newer one', async () => {
      const sth = (treeSize: number, timestamp: number): StoredSth => ({
        treeSize,
        timestamp,
        rootHash: Buffer.alloc(32, treeSize),
        signature: Buffer.from(`sig-${timestamp}`),
      });
      assert.equal((await a.publishSth(sth(5, 200))).timestamp, 200);
      assert.deepEqual(await b.publishSth(sth(6, 100)), sth(5, 200), 'b learns a’s newer STH');
      assert.deepEqual(await b.publishSth(sth(4, 300)), sth(5, 200), 'a smaller tree is refused');
      const candidates = Array.from({ length: 60 }, (_, i) => sth(10 + Math.floor(i / 3), 1_000 + i)).sort(() => Math.random() - 0.5);
      const seen = await Promise.all(candidates.map((s, k) => (k % 2 ? a : b).publishSth(s)));
      seen.forEach((latest, k) => assert.ok(latest.timestamp >= candidates[k]!.timestamp, 'never answered with an older STH'));
      assert.deepEqual(await a.latestSth(), sth(29, 1_059), 'the newest candidate won, whatever the order');
      assert.deepEqual(await b.latestSth(), sth(29, 1_059));
    });

    it('rejects clearly instead of hanging: unreachable Redis, closed store, bad prefix', async () => {
      const t0 = Date.now();
      await assert.rejects(openRedisStore('redis://127.0.0.1:1', { prefix }), /cannot connect to Redis at redis:\/\/127\.0\.0\.1:1/);
      assert.ok(Date.now() - t0 < 6_000);
      const c = await openRedisStore(REDIS_URL, { prefix });
      await c.close();
      await assert.rejects(c.size(), /Redis log store .*size failed/);
      await assert.rejects(openRedisStore(REDIS_URL, { prefix: 'a{b}' }), /invalid Redis key prefix/);
    });

    it('makes the log answer 503 (not 500) while Redis is unreachable, and recovers once it is back', async () => {
      const relay = await redisRelay();
      const store = await openRedisStore(relay.url, { prefix });
      const pki = await makePki();
      const log = createLog({ signer: logSigner(), roots: [pki.root.der], store });
      const http = await listenLog(log, { host: '127.0.0.1', port: 0, logger: silentLogger });
      const call = (path: string, chain?: Buffer[]): Promise<Response> =>
        fetch(`${http.url}/ct/v1/${path}`, chain ? { method: 'POST', body: JSON.stringify({ chain: chain.map((c) => c.toString('base64')) }) } : {});
      try {
        assert.equal((await call('add-chain', [await pki.leaf(), pki.intermediate.der])).status, 200);
        assert.equal((await call('get-sth')).status, 200);
        await relay.cut();
        for (const [path, chain] of [['get-sth'], ['get-entries?start=0&end=0'], ['add-chain', [await pki.leaf(), pki.intermediate.der]]] as const) {
          const res = await call(path, chain ? [...chain] : undefined);
          const text = await res.text();
          assert.equal(res.status, 503, `${path}: ${text}`);
          assert.equal(res.headers.get('retry-after'), '1');
          assert.match(text, /temporarily unavailable/);
          assert.doesNotMatch(text, /redis|127\.0\.0\.1|fulgor-test/i, 'no storage details for clients');
        }
        await assert.rejects(store.size(), (e: unknown) => e instanceof CtError && e.status === 503 && /size failed/.test(e.message));
        await relay.restore();
        // ioredis reconnects in the background (backoff up to 2 s): wait for it, bounded.
        let status = 0;
        for (let i = 0; i < 150 && status !== 200; i++) {
          status = (await call('get-sth')).status;
          if (status !== 200) await sleep(100);
        }
        assert.equal(status, 200, 'get-sth works again once Redis is reachable');
        assert.equal(((await (await call('get-sth')).json()) as { tree_size: number }).tree_size, 1);
      } finally {
        await http.close();
        await store.close();
        await relay.cut();
      }
    });

    it('keeps the chain its entries share once; another instance reads them whole, and entries stored whole before still read', async () => {
      const chain = [randomBytes(900), randomBytes(600)];
      const precert = (i: number): NewEntry => {
        const timestamp = 5_000 + i;
        const leafInput = merkleTreeLeaf({ timestamp, entry: { type: 'precert', issuerKeyHash: Buffer.alloc(32, 1), tbsCertificate: randomBytes(250) }, extensions: Buffer.alloc(0) });
        return { leafInput, extraData: precertExtraData(randomBytes(350), chain), leafHash: hashLeaf(leafInput), dedupKey: Buffer.from(`p${i}`), timestamp };
      };
      const written = Array.from({ length: 40 }, (_, i) => precert(i));
      await a.sequence(written.slice(0, 20));
      await a.sequence(written.slice(20));
      const raw = await rawCommand('HLEN', `{${prefix}}:c`);
      assert.match(raw, /^:1\r\n/, 'one chain stored for 40 entries');
      const expect = written.map((e) => ({ leafInput: e.leafInput, extraData: e.extraData }));
      assert.deepEqual(await b.getEntries(0, 40), expect, 'an instance that wrote none of them');
      assert.deepEqual(await a.getEntries(5, 7), expect.slice(5, 7));
      // Entry 3 as a Fulgor before shared chains stored it: u32 len(leaf_input) ‖ leaf_input ‖ extra_data.
      const len = Buffer.alloc(4);
      len.writeUInt32BE(written[3]!.leafInput.length);
      const v1 = Buffer.concat([len, written[3]!.leafInput, written[3]!.extraData]);
      const redis = new Redis(REDIS_URL);
      try {
        await redis.hset(`{${prefix}}:e:0`, '3', v1);
        assert.deepEqual(await b.getEntries(2, 5), expect.slice(2, 5));
        // A chain whose bytes no longer match its id is refused, not served.
        const [id] = await redis.hkeysBuffer(`{${prefix}}:c`);
        await redis.hset(`{${prefix}}:c`, id!, randomBytes(1500));
        const fresh = await openRedisStore(REDIS_URL, { prefix });
        try {
          await assert.rejects(fresh.getEntries(0, 1), /does not match its id/);
        } finally {
          await fresh.close();
        }
      } finally {
        redis.disconnect();
      }
    });

    it('cleans up: dropRedisLog deletes every key of the prefix and nothing else', async () => {
      const other = testPrefix();
      const c = await openRedisStore(REDIS_URL, { prefix: other });
      try {
        await a.sequence(Array.from({ length: 300 }, (_, i) => entry(i)));
        await c.sequence([entry(0)]);
        assert.ok((await dropRedisLog(REDIS_URL, prefix)) > 5);
        assert.equal(await b.size(), 0);
        assert.equal(await b.indexByLeafHash(entry(3).leafHash), undefined);
        assert.equal(await c.size(), 1, 'another prefix is untouched');
      } finally {
        await c.close();
        await dropRedisLog(REDIS_URL, other);
      }
    });
  });
});
