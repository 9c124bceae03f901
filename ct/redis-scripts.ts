// Lua for the Redis log store (ct/redis-store.ts). Redis runs a script atomically, so each of these is one
// linearizable step with respect to every frontend sharing the store. Lua has no SHA-256: hashes come in as ARGV.
//
// Key layout, all under the hash tag "{prefix}" (one cluster slot); B = "{prefix}:" is passed as ARGV[1] because the
// chunk keys depend on the tree size read inside the script (they share the tag, so they share the slot):
//   B..'n'                  string  tree size
//   B..'ts'                 string  newest leaf timestamp (ms)
//   B..'dd'                 hash    dedup key -> index
//   B..'lh'                 hash    leaf hash -> lowest index
//   B..'e:'..(i//256)       hash    field i%256 -> the entry (redis-entries.ts: v1 whole, or v2 naming its chain)
//   B..'c'                  hash    chain id (SHA-256) -> the certificate chain v2 entries end with
//   B..'h:'..l..':'..(j//256) hash  field j%256 -> 32-byte hash of the perfect subtree (l, j); l = 0: leaf hashes
//   B..'sth'                hash    size, ts, root, sig of the latest published STH
//   B..'v'                  string  version of the tree: a token the frontend that appended last chose for its batch
import { encodeEntry, V2, type ChainIds, type SharedChain } from './redis-entries.js';
import type { NewEntry } from './store.js';

/**
 * Sequences a batch in one step, with a handful of commands per batch rather than per entry: the lookups are one
 * HMGET each, the writes one HSET per hash key. Nothing is written before every check has passed.
 *
 * KEYS: n, ts, dd, lh. ARGV: B; the tree the caller expects, as its size (-1: unknown) and version ('' unknown);
 * the version this batch gives the tree if it appends; the batch's metadata, per entry u16 len(dedup key) ‖ dedup
 * key ‖ 32-byte leaf hash ‖ timestamp (ms) as u32 high ‖ u32 low; the hashes of the perfect subtrees the batch
 * completes if it is appended whole to the expected tree (32 bytes each, in the order the leaves complete them: leaf
 * by leaf, smallest first), or nothing; the chains the batch's v2 entries name, each 32-byte id ‖ u32 length ‖ bytes;
 * then per entry its stored form (redis-entries.ts encodeEntry). A v2 entry must name one of the batch's chains, so
 * that no stored entry names a chain that is not stored: each is written (if new) in the same step as its entries.
 *
 * Returns { n0, duplicates, nodesWritten, border, version }. duplicates: {k, index, stored encoded entry} for each
 * entry k (0-based) whose dedup key is stored or earlier in the batch; every other entry is appended, in order, from
 * n0. nodesWritten is 1 when the tree was the expected one (its size and its version: nobody appended since the
 * caller's last batch, and that batch's writes were not lost, say by a failover to a lagging replica) and no entry
 * was a duplicate: the caller's subtree hashes are stored with the leaves. Otherwise it is 0 and border holds the
 * stored hashes (false when not yet written) of the perfect subtrees that make up [0, n0), largest first, from which
 * the caller computes and stores the new subtrees. version is the tree's version after the script (false: none).
 */
export const SEQUENCE_LUA = `
local B, expected, expectedVersion, version, meta, nodes, chainList = ARGV[1], tonumber(ARGV[2]), ARGV[3], ARGV[4], ARGV[5], ARGV[6], ARGV[7]
local count = #ARGV - 7
local function fmt(x) return string.format('%d', x) end
local function chunk(p, i) return B .. p .. fmt(math.floor(i / 256)), fmt(i % 256) end
-- A command over a long list of arguments, at most 1024 of them per call (Lua's stack is bounded).
local function many(cmd, key, list)
  local out = {}
  for s = 1, #list, 1024 do
    local r = redis.call(cmd, key, unpack(list, s, math.min(s + 1023, #list)))
    if type(r) == 'table' then for _, v in ipairs(r) do out[#out + 1] = v end end
  end
  return out
end
-- Field-value pairs grouped by hash key, in first-use order.
local function groups()
  local g = { keys = {}, pairs = {} }
  function g.add(key, field, value)
    local p = g.pairs[key]
    if not p then p = {}; g.pairs[key] = p; g.keys[#g.keys + 1] = key end
    p[#p + 1] = field; p[#p + 1] = value
  end
  function g.write()
    for _, key in ipairs(g.keys) do many('HSET', key, g.pairs[key]) end
  end
  return g
end
-- The perfect subtrees that leaves [a, b) complete, leaf by leaf, smallest first.
local function completed(a, b, fn)
  for i = a, b - 1 do
    local level, j = 0, i
    while j % 2 == 1 do
      level = level + 1; j = (j - 1) / 2
      fn(level, j)
    end
  end
end

if count < 1 then return redis.error_reply('malformed batch') end
local dks, lhs, tss = {}, {}, {}
local p = 1
for k = 1, count do
  if p + 1 > #meta then return redis.error_reply('malformed batch') end
  local len = struct.unpack('>I2', meta, p)
  if p + 41 + len > #meta then return redis.error_reply('malformed batch') end
  dks[k] = string.sub(meta, p + 2, p + 1 + len)
  lhs[k] = string.sub(meta, p + 2 + len, p + 33 + len)
  local hi, lo = struct.unpack('>I4I4', meta, p + 34 + len)
  tss[k] = hi * 4294967296 + lo
  p = p + 42 + len
end
if p ~= #meta + 1 then return redis.error_reply('malformed batch') end

local chains, chainIds = {}, {}
p = 1
while p <= #chainList do
  if p + 35 > #chainList then return redis.error_reply('malformed batch') end
  local len = struct.unpack('>I4', chainList, p + 32)
  if p + 35 + len > #chainList then return redis.error_reply('malformed batch') end
  local id = string.sub(chainList, p, p + 31)
  chains[id] = true
  chainIds[#chainIds + 1] = id; chainIds[#chainIds + 1] = string.sub(chainList, p + 36, p + 35 + len)
  p = p + 36 + len
end
for k = 1, count do
  local enc = ARGV[7 + k]
  if string.byte(enc, 1) == ${V2} then
    if #enc < 5 then return redis.error_reply('malformed batch') end
    local at = 6 + struct.unpack('>I4', enc, 2)
    if at + 31 > #enc or not chains[string.sub(enc, at, at + 31)] then return redis.error_reply('an entry names a chain the batch does not carry') end
  end
end

local n0 = tonumber(redis.call('GET', KEYS[1]) or '0')
local newest = tonumber(redis.call('GET', KEYS[2]) or '0')
local known = many('HMGET', KEYS[3], dks)
local duplicates, fresh = {}, {}
local entries, leaves, dd, lhNew = groups(), groups(), {}, {}
local n = n0
for k = 1, count do
  local dk = dks[k]
  local i = known[k] and tonumber(known[k])
  if i then
    local stored = redis.call('HGET', chunk('e:', i))
    if not stored then return redis.error_reply('entry ' .. fmt(i) .. ' is missing') end
    duplicates[#duplicates + 1] = { k - 1, i, stored }
  elseif fresh[dk] then
    duplicates[#duplicates + 1] = { k - 1, fresh[dk][1], fresh[dk][2] }
  else
    local enc = ARGV[7 + k]
    fresh[dk] = { n, enc }
    local ek, ef = chunk('e:', n)
    entries.add(ek, ef, enc)
    local hk, hf = chunk('h:0:', n)
    leaves.add(hk, hf, lhs[k])
    dd[#dd + 1] = dk; dd[#dd + 1] = fmt(n)
    lhNew[#lhNew + 1] = { lhs[k], fmt(n) }
    if tss[k] > newest then newest = tss[k] end
    n = n + 1
  end
end

local writeNodes = #duplicates == 0 and expected == n0 and expectedVersion ~= '' and redis.call('GET', B .. 'v') == expectedVersion
if writeNodes then
  local want = 0
  completed(n0, n, function() want = want + 1 end)
  if #nodes ~= 32 * want then return redis.error_reply('the batch carries ' .. fmt(#nodes / 32) .. ' subtree hashes, expected ' .. fmt(want)) end
end

if n > n0 then
  for c = 1, #chainIds, 2 do redis.call('HSETNX', B .. 'c', chainIds[c], chainIds[c + 1]) end
  entries.write()
  leaves.write()
  many('HSET', KEYS[3], dd)
  -- The leaf-hash index keeps the lowest index of a hash.
  local hashes = {}
  for m, e in ipairs(lhNew) do hashes[m] = e[1] end
  local have = many('HMGET', KEYS[4], hashes)
  local lh, taken = {}, {}
  for m, e in ipairs(lhNew) do
    if not have[m] and not taken[e[1]] then
      taken[e[1]] = true
      lh[#lh + 1] = e[1]; lh[#lh + 1] = e[2]
    end
  end
  if #lh > 0 then many('HSET', KEYS[4], lh) end
  redis.call('SET', KEYS[1], fmt(n))
  redis.call('SET', KEYS[2], fmt(newest))
  redis.call('SET', B .. 'v', version)
end

local border = {}
if writeNodes then
  local interior, q = groups(), 1
  completed(n0, n, function(level, j)
    local key, field = chunk('h:' .. fmt(level) .. ':', j)
    interior.add(key, field, string.sub(nodes, q, q + 31))
    q = q + 32
  end)
  interior.write()
else
  local size, level, at = 1, 0, 0
  while size * 2 <= n0 do size = size * 2; level = level + 1 end
  while level >= 0 do
    if at + size <= n0 then
      border[#border + 1] = redis.call('HGET', chunk('h:' .. fmt(level) .. ':', at / size))
      at = at + size
    end
    size = size / 2; level = level - 1
  end
end
return { n0, duplicates, writeNodes and 1 or 0, border, redis.call('GET', B .. 'v') }
`;

/** SEQUENCE_LUA's reply: [n0, duplicates as [k, index, stored entry], nodesWritten, border, version]. */
export type SequenceReply = [number, [number, number, Buffer][], 0 | 1, (Buffer | null)[], Buffer | null];

/** The tree a frontend expects to append to: its size and version (SEQUENCE_LUA). */
export interface ExpectedTree {
  readonly size: number;
  readonly version: string;
}

/**
 * SEQUENCE_LUA's ARGV for a batch: `expected` is the tree the caller expects (undefined: unknown), `version` the
 * tree's version if the batch appends, `nodes` the hashes of the subtrees the batch completes when appended to the
 * expected tree, in the order the leaves complete them (or none); `chains` gives the ids of the entries' chains.
 */
export function sequenceArgv(
  base: string,
  expected: ExpectedTree | undefined,
  version: string,
  entries: readonly NewEntry[],
  nodes: readonly Buffer[],
  chains: ChainIds,
): (string | Buffer)[] {
  let bytes = 0;
  for (const e of entries) {
    if (e.leafHash.length !== 32) throw new RangeError(`a leaf hash is 32 bytes, not ${e.leafHash.length}`);
    if (e.dedupKey.length > 0xffff) throw new RangeError(`a dedup key of ${e.dedupKey.length} bytes is too long`);
    if (!Number.isSafeInteger(e.timestamp) || e.timestamp < 0) throw new RangeError(`bad timestamp ${e.timestamp}`);
    bytes += 42 + e.dedupKey.length;
  }
  const meta = Buffer.allocUnsafe(bytes);
  let at = 0;
  for (const e of entries) {
    at = meta.writeUInt16BE(e.dedupKey.length, at);
    at += e.dedupKey.copy(meta, at);
    at += e.leafHash.copy(meta, at);
    at = meta.writeUInt32BE(Math.floor(e.timestamp / 2 ** 32), at);
    at = meta.writeUInt32BE(e.timestamp >>> 0, at);
  }
  const stored: Buffer[] = [];
  const named = new Set<SharedChain>();
  for (const e of entries) {
    const { stored: b, chain } = encodeEntry(e, chains);
    stored.push(b);
    if (chain !== undefined) named.add(chain);
  }
  const chainList: Buffer[] = [];
  for (const c of named) {
    const len = Buffer.allocUnsafe(4);
    len.writeUInt32BE(c.bytes.length, 0);
    chainList.push(c.id, len, c.bytes);
  }
  return [base, String(expected?.size ?? -1), expected?.version ?? '', version, meta, Buffer.concat(nodes), Buffer.concat(chainList), ...stored];
}

/**
 * STH compare-and-set. KEYS: sth. ARGV: size, ts, root, sig. Stores the STH only if there is none or its timestamp
 * is larger and its size not smaller; returns the latest {size, ts, root, sig}.
 */
export const PUBLISH_STH_LUA = `
local cur = redis.call('HMGET', KEYS[1], 'size', 'ts')
local size, ts = tonumber(ARGV[1]), tonumber(ARGV[2])
if not cur[1] or (ts > tonumber(cur[2]) and size >= tonumber(cur[1])) then
  redis.call('HSET', KEYS[1], 'size', ARGV[1], 'ts', ARGV[2], 'root', ARGV[3], 'sig', ARGV[4])
end
return redis.call('HMGET', KEYS[1], 'size', 'ts', 'root', 'sig')
`;
