// Lua scripts of the Redis budget ledger. Each runs atomically on the server, so every replica
// sees one limit. Keys per counter C (= subject|window key) under the prefix P:
//   P b:C   hash  spent, used (= spent + reserved), seeded — int64 decimal strings
//   P bz:C  zset  live reservations: member "<id>:<amount>", score = lapse time (ms, Redis clock)
//   P bx:C  zset  lapsed reservations a late settle may still record, score = lapse time
// All three expire at the window's end + retention (PEXPIREAT; at least an hour after the last
// reserve or seed); `total` counters never expire.
//
// Money never passes through a Lua number (a double, exact only to 2^53): sums are computed by
// HINCRBY in C int64 and read back with HGET as strings; `le` compares those strings digit by digit.
// Scripts name the keys they touch in KEYS, three per counter: on a Redis Cluster all keys of a
// call must share a slot, so use a hash-tagged prefix such as "{costwise}:gov:".
import { LUA_COMMON } from './redis-script.js';

const HELPERS = `${LUA_COMMON}
local function le(a, b)
  if string.sub(a, 1, 1) == '-' then return true end
  if #a ~= #b then return #a < #b end
  for i = 1, #a do
    local x, y = string.byte(a, i), string.byte(b, i)
    if x ~= y then return x < y end
  end
  return true
end
local function amount_of(member)
  return string.match(member, ':(%d+)$')
end
local function add(c, field, amount)
  if amount ~= '0' then redis.call('HINCRBY', c, field, amount) end
end
local function negate(amount)
  if amount == '0' then return amount end
  if string.sub(amount, 1, 1) == '-' then return string.sub(amount, 2) end
  return '-' .. amount
end
-- Expiry of a counter's keys: its window's end + retention, but at least an hour from now (a
-- counter of a window already past, seeded or written late, must not vanish at once).
local function expire_at(key, at, now)
  if at ~= '0' then redis.call('PEXPIREAT', key, math.max(tonumber(at), now + 3600000)) end
end
-- Releases the lapsed reservations of counter c, keeping them in x for late settles, and forgets
-- lapses older than the late-settle window.
local function reap(c, z, x, now, late)
  local gone = redis.call('ZRANGEBYSCORE', z, '-inf', now, 'WITHSCORES')
  if #gone > 0 then
    for i = 1, #gone, 2 do
      add(c, 'used', negate(amount_of(gone[i])))
      redis.call('ZADD', x, gone[i + 1], gone[i])
    end
    redis.call('ZREMRANGEBYSCORE', z, '-inf', now)
    local ttl = redis.call('PTTL', c)
    if ttl > 0 then redis.call('PEXPIRE', x, ttl) end
  end
  redis.call('ZREMRANGEBYSCORE', x, '-inf', now - late)
end
`;

/**
 * KEYS: b, bz, bx per counter. ARGV: member, amount, ttlMs, lateMs, then limit and expireAt
 * (epoch ms, '0' for none) per counter.
 * Returns {'reserved', lapseAt} | {'unseeded', i...} | {'exceeded', i, used-with-amount}.
 */
export const RESERVE = `${HELPERS}
local member, amount, ttl, late = ARGV[1], ARGV[2], tonumber(ARGV[3]), tonumber(ARGV[4])
local n = #KEYS / 3
local now = now_ms()
local unseeded = {}
for i = 1, n do
  local c = KEYS[3 * i - 2]
  reap(c, KEYS[3 * i - 1], KEYS[3 * i], now, late)
  if redis.call('HEXISTS', c, 'seeded') == 0 then unseeded[#unseeded + 1] = i end
end
if #unseeded > 0 then return {'unseeded', unpack(unseeded)} end
for i = 1, n do
  local c = KEYS[3 * i - 2]
  add(c, 'used', amount)
  local used = redis.call('HGET', c, 'used') or '0'
  if not le(used, ARGV[3 + 2 * i]) then
    for j = 1, i do add(KEYS[3 * j - 2], 'used', negate(amount)) end
    return {'exceeded', i, used}
  end
end
local lapse = now + ttl
for i = 1, n do
  redis.call('ZADD', KEYS[3 * i - 1], lapse, member)
  expire_at(KEYS[3 * i - 2], ARGV[4 + 2 * i], now)
  expire_at(KEYS[3 * i - 1], ARGV[4 + 2 * i], now)
end
return {'reserved', lapse}`;

/**
 * KEYS: b, bz, bx per counter. ARGV: member, amount, actual, lateMs.
 * Returns {live, lapsed}: on how many counters the reservation was live / lapsed (and recorded).
 */
export const SETTLE = `${HELPERS}
local member, amount, actual, late = ARGV[1], ARGV[2], ARGV[3], tonumber(ARGV[4])
local now = now_ms()
local live, lapsed = 0, 0
for i = 1, #KEYS / 3 do
  local c, z, x = KEYS[3 * i - 2], KEYS[3 * i - 1], KEYS[3 * i]
  reap(c, z, x, now, late)
  local found = false
  if redis.call('ZREM', z, member) == 1 then
    add(c, 'used', negate(amount))
    live, found = live + 1, true
  elseif redis.call('ZREM', x, member) == 1 then
    lapsed, found = lapsed + 1, true
  end
  if found then
    add(c, 'used', actual)
    add(c, 'spent', actual)
  end
end
return {live, lapsed}`;

/** KEYS: b, bz, bx per counter. ARGV: member, amount, lateMs. Returns {released, lapsed}. */
export const RELEASE = `${HELPERS}
local member, amount, late = ARGV[1], ARGV[2], tonumber(ARGV[3])
local now = now_ms()
local released, lapsed = 0, 0
for i = 1, #KEYS / 3 do
  local c, z, x = KEYS[3 * i - 2], KEYS[3 * i - 1], KEYS[3 * i]
  reap(c, z, x, now, late)
  if redis.call('ZREM', z, member) == 1 then
    add(c, 'used', negate(amount))
    released = released + 1
  elseif redis.call('ZREM', x, member) == 1 then
    lapsed = lapsed + 1
  end
end
return {released, lapsed}`;

/**
 * KEYS: b. ARGV: spent, expireAt ('0' for none). Sets spent once; reservations already held stay
 * in `used`. Returns 1 when seeded now, 0 when it had been seeded before.
 */
export const SEED = `${HELPERS}
local c = KEYS[1]
if redis.call('HEXISTS', c, 'seeded') == 1 then return 0 end
local old = redis.call('HGET', c, 'spent')
if old then add(c, 'used', negate(old)) end
add(c, 'used', ARGV[1])
redis.call('HSET', c, 'spent', ARGV[1], 'seeded', '1')
if redis.call('HEXISTS', c, 'used') == 0 then redis.call('HSET', c, 'used', '0') end
expire_at(c, ARGV[2], now_ms())
return 1`;

/** KEYS: b, bz, bx. ARGV: lateMs. Returns {spent, used, seeded} (strings or false). */
export const STATUS = `${HELPERS}
reap(KEYS[1], KEYS[2], KEYS[3], now_ms(), tonumber(ARGV[1]))
return redis.call('HMGET', KEYS[1], 'spent', 'used', 'seeded')`;
