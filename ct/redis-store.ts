// A LogStore in Redis that several log frontends (processes) share to serve ONE log: sequencing is one atomic Lua
// script per batch (dedup, index assignment, leaf storage), STH publication is a Lua compare-and-set, and the interior
// Merkle nodes (SHA-256, which Redis Lua lacks) are computed by the frontends and stored idempotently: every frontend
// computes the same bytes for a node, so whoever writes first or last does not matter, and a node another frontend has
// not stored yet is computed from the level below (leaf hashes always exist once sequenced). Key layout: redis-scripts.ts.
//
// Durability: a write is as durable as the Redis server makes it; run it with `appendonly yes` + `appendfsync always`
// (or replicas and WAIT) for a log whose SCTs are promises. At open, CONFIG GET says whether it does, and a warning
// says when it does not (or when CONFIG is disabled, so that it could not be checked).
import { randomBytes } from 'node:crypto';
import { Redis, type RedisOptions } from 'ioredis';
import type { Logger } from '../lib/log.js';
import { silentLogger } from '../lib/log.js';
import { unavailable } from './errors.js';
import { hashChildren, MerkleFrontier, perfectSubtrees, type NodeId } from './merkle.js';
import { ChainIds, checkedChain, readStoredEntry, withChain, type StoredForm } from './redis-entries.js';
import { PUBLISH_STH_LUA, SEQUENCE_LUA, sequenceArgv, type SequenceReply } from './redis-scripts.js';
import type { LogStore, NewEntry, Sequenced, StoredEntry, StoredSth } from './store.js';

export interface RedisStoreOptions {
  /** Namespace of this log's keys; they are all "{prefix}:…" (a hash tag: one Redis Cluster slot). */
  readonly prefix: string;
  readonly logger?: Logger;
}

/**
 * Connection policy: nothing waits forever.
 * - lazyConnect + an awaited connect(): openRedisStore rejects when Redis is unreachable (then stops retrying).
 * - connectTimeout 5 s: a blackholed host fails the connection attempt instead of hanging in SYN.
 * - enableOfflineQueue false: a command issued while the connection is down fails at once (503-able) instead of
 *   queueing behind reconnects; retryStrategy keeps reconnecting in the background (backoff up to 2 s) so the store
 *   heals when Redis is back.
 * - maxRetriesPerRequest 1: a command in flight when the connection drops is resent once after reconnecting, then
 *   rejected (re-running the sequencing script is safe: dedup turns it into a lookup).
 * - commandTimeout 10 s: a command with no reply (stuck server, half-open socket) rejects.
 */
const CONNECTION_OPTIONS: RedisOptions = {
  lazyConnect: true,
  connectTimeout: 5_000,
  enableOfflineQueue: false,
  maxRetriesPerRequest: 1,
  commandTimeout: 10_000,
  retryStrategy: (times) => Math.min(100 * 2 ** times, 2_000),
  connectionName: 'fulgor-ct',
};

interface ScriptCommands {
  ctSequenceBuffer(...args: (string | Buffer)[]): Promise<SequenceReply>;
  ctPublishSthBuffer(...args: (string | Buffer)[]): Promise<(Buffer | null)[]>;
}

/** The URL without its password, for messages. */
export function redactRedisUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return '<unparsable Redis URL>';
  }
}

function checkPrefix(prefix: string): void {
  if (prefix === '' || /[{}]/.test(prefix)) throw new Error(`invalid Redis key prefix ${JSON.stringify(prefix)}: must be non-empty, without { or }`);
}

const message = (e: unknown): string => (e instanceof Error ? e.message : String(e));

/** ioredis' own failures of reaching the server, and replies of a server that cannot serve right now. */
const UNREACHABLE = /^(Connection is closed|Stream isn't writeable|Command timed out|Reached the max retries|LOADING|BUSY|MASTERDOWN|TRYAGAIN|CLUSTERDOWN|READONLY)\b/;

async function connect(url: string, options: RedisOptions): Promise<Redis> {
  const redis = new Redis(url, { ...CONNECTION_OPTIONS, ...options });
  // Errors are reported through rejected commands (and logged by openRedisStore); the socket error explains a failed
  // connect better than connect()'s own "Connection is closed.".
  let socketError: unknown;
  redis.on('error', (e: unknown) => void (socketError ??= e));
  try {
    await redis.connect();
    return redis;
  } catch (e) {
    redis.disconnect();
    const reason = socketError === undefined ? message(e) : message(socketError);
    // eslint-disable-next-line preserve-caught-error -- the socket error, when there is one, is the real cause: connect()'s own only says "Connection is closed."
    throw new Error(`cannot connect to Redis at ${redactRedisUrl(url)}: ${reason}`, { cause: socketError ?? e });
  }
}

/** Undefined when Redis at `url` answers PING within `timeoutMs`, else the reason (for skipping tests). */
export async function probeRedis(url: string, timeoutMs = 1_000): Promise<string | undefined> {
  try {
    const redis = await connect(url, { connectTimeout: timeoutMs, commandTimeout: timeoutMs, retryStrategy: () => null });
    try {
      await redis.ping();
    } finally {
      redis.disconnect();
    }
    return undefined;
  } catch (e) {
    return message(e);
  }
}

/** Deletes every key of the log stored under `prefix` (SCAN + UNLINK); resolves to the number of keys deleted. */
export async function dropRedisLog(url: string, prefix: string): Promise<number> {
  checkPrefix(prefix);
  const redis = await connect(url, {});
  try {
    const pattern = `{${prefix.replace(/[*?[\]\\]/g, (c) => `\\${c}`)}}:*`;
    let cursor = '0';
    let deleted = 0;
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
      cursor = next;
      if (keys.length > 0) deleted += await redis.unlink(...keys);
    } while (cursor !== '0');
    return deleted;
  } finally {
    await redis.quit().catch(() => redis.disconnect());
  }
}

type Pipeline = ReturnType<Redis['pipeline']>;

async function run(p: Pipeline): Promise<unknown[]> {
  const results = await p.exec();
  if (!results) throw new Error('pipeline aborted');
  return results.map(([err, value]) => {
    if (err) throw err;
    return value;
  });
}

/** What a Redis server's persistence settings are: `appendonly` and `appendfsync`, or why they could not be read. */
export interface RedisDurability {
  /** appendonly yes and appendfsync always: an acknowledged write is on disk. */
  readonly durable: boolean;
  readonly appendonly?: string;
  readonly appendfsync?: string;
  /** CONFIG GET failed (disabled or renamed, as managed Redis services often do): the settings are unknown. */
  readonly error?: string;
}

export async function redisDurability(redis: Redis): Promise<RedisDurability> {
  try {
    const get = async (name: string): Promise<string | undefined> => {
      const reply = (await redis.config('GET', name)) as unknown;
      return Array.isArray(reply) && typeof reply[1] === 'string' ? reply[1] : undefined;
    };
    const appendonly = await get('appendonly');
    const appendfsync = await get('appendfsync');
    return {
      durable: appendonly === 'yes' && appendfsync === 'always',
      ...(appendonly !== undefined ? { appendonly } : {}),
      ...(appendfsync !== undefined ? { appendfsync } : {}),
    };
  } catch (e) {
    return { durable: false, error: message(e) };
  }
}

/** Logs a warning unless the Redis server makes every acknowledged write durable (README "The CT log"). */
async function warnUnlessDurable(redis: Redis, where: string, logger: Logger): Promise<void> {
  const d = await redisDurability(redis);
  if (d.error !== undefined)
    logger.log('warn', 'ct log redis persistence could not be checked (CONFIG GET failed): make sure it runs with appendonly yes and appendfsync always, or an SCT may outlive its entry', {
      url: where,
      error: d.error,
    });
  else if (!d.durable)
    logger.log('warn', 'ct log redis persistence cannot back an SCT: run Redis with appendonly yes and appendfsync always, or entries whose SCTs were handed out can be lost', {
      url: where,
      appendonly: d.appendonly ?? 'unknown',
      appendfsync: d.appendfsync ?? 'unknown',
    });
}

export async function openRedisStore(url: string, opts: RedisStoreOptions): Promise<LogStore> {
  checkPrefix(opts.prefix);
  const logger = opts.logger ?? silentLogger;
  const where = redactRedisUrl(url);
  const redis = await connect(url, {});
  await warnUnlessDurable(redis, where, logger);
  let healthy = true;
  redis.on('error', (e: unknown) => {
    if (healthy) logger.log('warn', 'ct log redis connection error', { url: where, error: message(e) });
    healthy = false;
  });
  redis.on('ready', () => {
    if (!healthy) logger.log('info', 'ct log redis connection restored', { url: where });
    healthy = true;
  });
  redis.defineCommand('ctSequence', { numberOfKeys: 4, lua: SEQUENCE_LUA });
  redis.defineCommand('ctPublishSth', { numberOfKeys: 1, lua: PUBLISH_STH_LUA });
  const scripts = redis as unknown as ScriptCommands;

  const base = `{${opts.prefix}}:`;
  const K = { n: `${base}n`, ts: `${base}ts`, dd: `${base}dd`, lh: `${base}lh`, sth: `${base}sth`, c: `${base}c` };
  const entryKey = (i: number): [string, string] => [`${base}e:${Math.floor(i / 256)}`, String(i % 256)];
  const nodeKey = (id: NodeId): [string, string] => [`${base}h:${id.level}:${Math.floor(id.index / 256)}`, String(id.index % 256)];

  /**
   * Runs a store operation, turning any failure into one clear rejection: a 503 CtError when Redis cannot be reached
   * (the connection is not ready, or ioredis gave up on it), a plain Error (500) for anything else.
   */
  const op = async <T>(what: string, fn: () => Promise<T>): Promise<T> => {
    try {
      return await fn();
    } catch (e) {
      if (e instanceof RangeError) throw e;
      const text = `Redis log store at ${where} (prefix ${opts.prefix}): ${what} failed: ${message(e)}`;
      if (redis.status !== 'ready' || UNREACHABLE.test(message(e))) throw unavailable(text, e);
      throw new Error(text, { cause: e });
    }
  };

  /** Stores node hashes: one HSET per hash key (a level's nodes share a key per 256), all in one pipeline. */
  async function writeNodes(ids: readonly NodeId[], hashes: readonly Buffer[]): Promise<void> {
    if (ids.length === 0) return;
    const byKey = new Map<string, (string | Buffer)[]>();
    ids.forEach((id, k) => {
      const [key, field] = nodeKey(id);
      const fields = byKey.get(key);
      if (fields) fields.push(field, hashes[k]!);
      else byKey.set(key, [field, hashes[k]!]);
    });
    const p = redis.pipeline();
    for (const [key, fields] of byKey) p.hset(key, ...fields);
    await run(p);
  }

  async function readNodes(ids: readonly NodeId[]): Promise<(Buffer | null)[]> {
    const p = redis.pipeline();
    for (const id of ids) p.hgetBuffer(...nodeKey(id));
    return (await run(p)) as (Buffer | null)[];
  }

  /** `values` with every null replaced by the node computed from its children (read, or computed the same way). */
  async function fill(ids: readonly NodeId[], values: readonly (Buffer | null)[]): Promise<Buffer[]> {
    const missing = ids.filter((_, k) => !values[k]);
    if (missing.length === 0) return values as Buffer[];
    const children = missing.flatMap(({ level, index }) => {
      if (level === 0) throw new Error(`leaf hash ${index} is missing`);
      return [{ level: level - 1, index: 2 * index }, { level: level - 1, index: 2 * index + 1 }];
    });
    const childHashes = await fill(children, await readNodes(children));
    const computed = missing.map((_, m) => hashChildren(childHashes[2 * m]!, childHashes[2 * m + 1]!));
    await writeNodes(missing, computed);
    let next = 0;
    return values.map((v) => v ?? computed[next++]!);
  }

  /**
   * Appends `leafHashes` to `frontier`; resolves to the perfect subtrees they complete, in the order they complete
   * them (the sequencing script's order).
   */
  function extend(frontier: MerkleFrontier, leafHashes: readonly Buffer[]): { ids: NodeId[]; hashes: Buffer[] } {
    const ids: NodeId[] = [];
    const hashes: Buffer[] = [];
    for (const h of leafHashes)
      frontier.push(h, (id, hash) => {
        ids.push(id);
        hashes.push(hash);
      });
    return { ids, hashes };
  }

  /** The frontier of [0, size) from the border the script returned (border nodes not stored yet are read or computed). */
  async function frontierAt(size: number, borderValues: (Buffer | null)[]): Promise<MerkleFrontier> {
    const border = perfectSubtrees({ start: 0, end: size });
    if (borderValues.length !== border.length) throw new Error(`sequencing returned ${borderValues.length} border nodes, expected ${border.length}`);
    return new MerkleFrontier(size, await fill(border, borderValues));
  }

  // One batch at a time per instance, and this instance's frontier of the tree as its last batch left it: a batch is
  // appended to it before it is sent, and the subtrees it completes travel with it, to be stored by the script with
  // the leaves when the tree is still the one this instance last saw (its size, and the version token its last
  // batch left: no other frontend appended since, and Redis did not lose that batch) and no entry is a duplicate
  // (the usual case with one frontend). Otherwise (another frontend appended, a duplicate, the first batch, a
  // failover that lost writes) the script returns the
  // border of the tree it appended to; the subtrees are computed from it and their writes sent before the next
  // batch's script, on the one connection, which Redis serves in order; so a batch's border nodes are never missing
  // because of this instance's own previous batch, only because of another frontend's (recomputed from below, see
  // fill). Those writes' replies are not waited for: an entry is durable once the script has run (its leaf hash with
  // it), and a node lost with its write is computed again from the level below when read. With no batch running,
  // the next one's script is sent at once (not a promise turn later), while the caller goes on with other work
  // (ct/log.ts).
  let frontier: { tree: MerkleFrontier; version: string } | undefined;
  // The chains entries name (redis-entries.ts): ids of those this instance writes, and bytes of those it has read,
  // by id (immutable: an id is its chain's SHA-256). A CA has one or two; the cache starts over past CHAIN_CACHE_MAX.
  const chainIds = new ChainIds();
  const chainCache = new Map<string, Buffer>();
  const CHAIN_CACHE_MAX = 256;
  async function readChains(forms: readonly StoredForm[]): Promise<void> {
    const missing = new Map<string, Buffer>();
    for (const f of forms) if (f.chainId && !chainCache.has(f.chainId.toString('latin1'))) missing.set(f.chainId.toString('latin1'), f.chainId);
    if (missing.size === 0) return;
    const ids = [...missing.values()];
    const values = await redis.hmgetBuffer(K.c, ...ids);
    if (chainCache.size + ids.length > CHAIN_CACHE_MAX) chainCache.clear();
    ids.forEach((id, k) => {
      const v = values[k];
      if (v) chainCache.set(id.toString('latin1'), checkedChain(id, v));
    });
  }
  // A batch's version of the tree: this instance's random id and the batch's number (unique across frontends).
  const instance = randomBytes(12).toString('base64url');
  let batches = 0;
  let tail: Promise<unknown> = Promise.resolve();
  let queued = 0;
  const serially = <T>(fn: () => Promise<T>): Promise<T> => {
    const next = queued === 0 ? fn() : tail.then(fn, fn);
    queued++;
    const settled = (): void => void queued--;
    tail = next.then(settled, settled);
    return next;
  };

  const decodeSth = (v: (Buffer | null)[]): StoredSth | undefined => {
    const [size, ts, root, sig] = v;
    if (!size || !ts || !root || !sig) return undefined;
    return { treeSize: Number(size.toString()), timestamp: Number(ts.toString()), rootHash: root, signature: sig };
  };

  return {
    size: () => op('size', async () => Number((await redis.get(K.n)) ?? 0)),

    sequence: (entries: readonly NewEntry[]): Promise<Sequenced[]> =>
      serially(() => op('sequence', async () => {
        if (entries.length === 0) return [];
        // The frontier is taken: it is this batch's guess, and comes back only if the guess was right.
        const guess = frontier;
        frontier = undefined;
        const expected = guess && { size: guess.tree.size, version: guess.version };
        const planned = guess ? extend(guess.tree, entries.map((e) => e.leafHash)).hashes : [];
        const version = `${instance}.${++batches}`;
        const argv = sequenceArgv(base, expected, version, entries, planned, chainIds);
        const [n0, duplicates, nodesWritten, border, after] = await scripts.ctSequenceBuffer(K.n, K.ts, K.dd, K.lh, ...argv);
        const out: Sequenced[] = new Array<Sequenced>(entries.length);
        for (const [k, index, stored] of duplicates) out[k] = { index, leafInput: readStoredEntry(stored).leafInput, duplicate: true };
        const fresh: Buffer[] = [];
        for (let k = 0; k < entries.length; k++)
          if (!out[k]) {
            out[k] = { index: n0 + fresh.length, leafInput: entries[k]!.leafInput, duplicate: false };
            fresh.push(entries[k]!.leafHash);
          }
        if (nodesWritten === 1) {
          if (!guess || n0 !== expected?.size || fresh.length !== entries.length) throw new Error('sequencing stored subtrees that were not planned for it');
          frontier = { tree: guess.tree, version };
        } else {
          const next = await frontierAt(n0, border);
          const { ids, hashes } = extend(next, fresh);
          writeNodes(ids, hashes).catch((e: unknown) =>
            logger.log('warn', 'ct log redis node writes failed; the nodes are computed again when read', { url: where, error: message(e) }),
          );
          // The tree as the script left it: these leaves on the border it read, under the version it returned.
          if (after) frontier = { tree: next, version: after.toString() };
        }
        return out;
      })),

    getEntries: (start: number, end: number): Promise<StoredEntry[]> =>
      op('getEntries', async () => {
        if (!Number.isSafeInteger(start) || !Number.isSafeInteger(end) || start < 0 || start > end)
          throw new RangeError(`no entries [${start}, ${end})`);
        const p = redis.pipeline().get(K.n);
        const fields = new Map<string, string[]>();
        for (let i = start; i < end; i++) {
          const [k, f] = entryKey(i);
          fields.set(k, [...(fields.get(k) ?? []), f]);
        }
        for (const [k, fs] of fields) p.hmgetBuffer(k, ...fs);
        const [n, ...chunks] = await run(p);
        if (end > Number(n ?? 0)) throw new RangeError(`no entries [${start}, ${end}) in a log of ${Number(n ?? 0)}`);
        const forms = (chunks as (Buffer | null)[][]).flat().map((v, k) => {
          if (!v) throw new Error(`entry ${start + k} is missing`);
          return readStoredEntry(v);
        });
        await readChains(forms);
        return forms.map((f) => withChain(f, f.chainId && chainCache.get(f.chainId.toString('latin1'))));
      }),

    indexByLeafHash: (leafHash: Buffer) =>
      op('indexByLeafHash', async () => {
        const v = await redis.hget(K.lh, leafHash);
        return v === null ? undefined : Number(v);
      }),

    newestTimestamp: () => op('newestTimestamp', async () => Number((await redis.get(K.ts)) ?? 0)),

    latestSth: () => op('latestSth', async () => decodeSth(await redis.hmgetBuffer(K.sth, 'size', 'ts', 'root', 'sig'))),

    publishSth: (sth: StoredSth) =>
      op('publishSth', async () => {
        const latest = decodeSth(
          await scripts.ctPublishSthBuffer(K.sth, String(sth.treeSize), String(sth.timestamp), sth.rootHash, sth.signature),
        );
        if (!latest) throw new Error('no STH stored after publishing');
        return latest;
      }),

    getNodes: (ids: readonly NodeId[]): Promise<Buffer[]> =>
      op('getNodes', async () => {
        if (ids.length === 0) return [];
        const p = redis.pipeline().get(K.n);
        for (const id of ids) p.hgetBuffer(...nodeKey(id));
        const [n, ...values] = await run(p);
        const size = Number(n ?? 0);
        for (const { level, index } of ids)
          if (!Number.isSafeInteger(level) || !Number.isSafeInteger(index) || level < 0 || index < 0 || (index + 1) * 2 ** level > size)
            throw new RangeError(`node (${level}, ${index}) is outside the tree of size ${size}`);
        return fill(ids, values as (Buffer | null)[]);
      }),

    close: async () => {
      await redis.quit().catch(() => redis.disconnect());
    },
  };
}
