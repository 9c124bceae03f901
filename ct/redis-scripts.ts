// Lua for the Redis log store (ct/redis-store.ts). Redis runs a script atomically, so each of these is one
// linearizable step with respect to every frontend sharing the store. Lua has no SHA-256: hashes come in as ARGV.
//
// Key layout, all under the hash tag "{prefix}" (one cluster slot); B = "{prefix}:" is passed as ARGV[1] because the
// chunk keys depend on the tree size read inside the script (they share the tag, so they share the slot):
//   B..'n'                  string  tree size
//   B..'ts'                 string  newest leaf timestamp (ms)
//   B..'dd'                 hash    dedup key -> index
//   B..'lh'                 hash    leaf hash -> lowest index
//   B..'e:'..(i//256)       hash    field i%256 -> u32 len(leaf_input) ‖ leaf_input ‖ extra_data
//   B..'h:'..l..':'..(j//256) hash  field j%256 -> 32-byte hash of the perfect subtree (l, j); l = 0: leaf hashes
//   B..'sth'                hash    size, ts, root, sig of the latest published STH

/**
 * Sequences a batch. KEYS: n, ts, dd, lh. ARGV: B, then per entry (dedup key, leaf hash, encoded entry, timestamp).
 * Returns { n0, results, border }: results[k] = {index} for a new entry, {index, encoded entry} for a duplicate;
 * border = the stored hashes (false when not yet written) of the perfect subtrees that make up [0, n0), largest
 * first, which the caller needs to hash the subtrees the new leaves complete.
 */
export const SEQUENCE_LUA = `
local B = ARGV[1]
local function fmt(x) return string.format('%d', x) end
local function node(l, j) return B .. 'h:' .. fmt(l) .. ':' .. fmt(math.floor(j / 256)), fmt(j % 256) end
local n0 = tonumber(redis.call('GET', KEYS[1]) or '0')
local newest = tonumber(redis.call('GET', KEYS[2]) or '0')
local n = n0
local results = {}
for a = 2, #ARGV, 4 do
  local dk, lh, enc, ts = ARGV[a], ARGV[a + 1], ARGV[a + 2], tonumber(ARGV[a + 3])
  local have = redis.call('HGET', KEYS[3], dk)
  if have then
    local i = tonumber(have)
    local stored = redis.call('HGET', B .. 'e:' .. fmt(math.floor(i / 256)), fmt(i % 256))
    if not stored then return redis.error_reply('entry ' .. fmt(i) .. ' is missing') end
    results[#results + 1] = { i, stored }
  else
    redis.call('HSET', B .. 'e:' .. fmt(math.floor(n / 256)), fmt(n % 256), enc)
    local hk, hf = node(0, n)
    redis.call('HSET', hk, hf, lh)
    redis.call('HSETNX', KEYS[4], lh, fmt(n))
    redis.call('HSET', KEYS[3], dk, fmt(n))
    if ts > newest then newest = ts end
    results[#results + 1] = { n }
    n = n + 1
  end
end
if n > n0 then
  redis.call('SET', KEYS[1], fmt(n))
  redis.call('SET', KEYS[2], fmt(newest))
end
local border = {}
local size, level, at = 1, 0, 0
while size * 2 <= n0 do size = size * 2; level = level + 1 end
while level >= 0 do
  if at + size <= n0 then
    border[#border + 1] = redis.call('HGET', node(level, at / size))
    at = at + size
  end
  size = size / 2; level = level - 1
end
return { n0, results, border }
`;

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
