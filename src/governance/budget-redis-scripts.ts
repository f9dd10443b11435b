// Lua scripts of the Redis budget ledger. Each runs atomically on the server, so every replica
// sees one limit. Keys per counter C (= subject|window key) under the prefix P:
//   P b:C   hash  spent, used (= spent + reserved), seeded — int64 decimal strings
//   P bz:C  zset  live reservations: member "<id>:<amount>", score = lapse time (ms, Redis clock)
//   P bx:C  zset  lapsed reservations a late settle may still record, score = lapse time; and
//                 "charge:<id>" markers of recent charges, score = charge time
// b and bz expire at the window's end + retention (seed sets it on b, reserve on bz), and at least
// an hour after the write; `total` counters never expire. Nothing in bx matters longer than the
// late-settle window, so bx expires that long after its last write.
//
// Lapse: every reserve (and status) first moves the lapsed members of its counters' bz to bx and
// takes their amounts out of `used` ("reaping"), so an abandoned reservation blocks nothing after
// its ttl. settle/release do not reap: a reservation still in bz is settled as live (its amount is
// still in `used`), one in bx as late; bx forgets lapses older than the late-settle window.
//
// Money never passes through a Lua number (a double, exact only to 2^53): sums are computed by
// HINCRBY in C int64 and read back as strings; `le` compares those strings digit by digit. Sums
// and differences the scripts need (limit − amount, actual − amount) are computed by the caller in
// BigInt and passed as decimal strings.
// Scripts name the keys they touch in KEYS, three per counter: on a Redis Cluster all keys of a
// call must share a slot, so use a hash-tagged prefix such as "{costwise}:gov:".
import { LUA_COMMON } from './redis-script.js';

const HELPERS = `${LUA_COMMON}
-- a <= b for decimal integer strings without leading zeros; false when b is negative.
local function le(a, b)
  if string.sub(b, 1, 1) == '-' then return false end
  if string.sub(a, 1, 1) == '-' then return true end
  if #a ~= #b then return #a < #b end
  for i = 1, #a do
    local x, y = string.byte(a, i), string.byte(b, i)
    if x ~= y then return x < y end
  end
  return true
end
local function add(c, field, amount)
  if amount ~= '0' then redis.call('HINCRBY', c, field, amount) end
end
-- Expiry of a counter's keys: its window's end + retention, but at least an hour from now (a
-- counter of a window already past, seeded or written late, must not vanish at once).
local function expire_at(key, at, now)
  if at ~= '0' then redis.call('PEXPIREAT', key, math.max(tonumber(at), now + 3600000)) end
end
-- Releases the lapsed reservations of counter c into x (kept there for late settles).
local function reap(c, z, x, now, late)
  local gone = redis.call('ZRANGEBYSCORE', z, '-inf', now, 'WITHSCORES')
  if #gone == 0 then return end
  for i = 1, #gone, 2 do
    local amount = string.match(gone[i], ':(%d+)$')
    if amount ~= '0' then redis.call('HINCRBY', c, 'used', '-' .. amount) end
    redis.call('ZADD', x, gone[i + 1], gone[i])
  end
  redis.call('ZREMRANGEBYSCORE', z, '-inf', now)
  redis.call('ZREMRANGEBYSCORE', x, '-inf', now - late)
  redis.call('PEXPIRE', x, late)
end
-- Takes member out of the lapsed set x if it lapsed within the late-settle window.
local function take_lapsed(x, member, late)
  redis.call('ZREMRANGEBYSCORE', x, '-inf', now_ms() - late)
  return redis.call('ZREM', x, member) == 1
end
`;

/**
 * KEYS: b, bz, bx per counter. ARGV: member, amount, ttlMs, lateMs, then per counter the headroom
 * (limit − amount; negative when the amount alone exceeds the limit) and expireAt (epoch ms, '0'
 * for none). Returns {'reserved', lapseAt} | {'unseeded', i…} | {'exceeded', i, used}.
 */
export const RESERVE = `${HELPERS}
local member, amount, ttl, late = ARGV[1], ARGV[2], tonumber(ARGV[3]), tonumber(ARGV[4])
local n = #KEYS / 3
local now = now_ms()
local unseeded, used = {}, {}
for i = 1, n do
  local c = KEYS[3 * i - 2]
  reap(c, KEYS[3 * i - 1], KEYS[3 * i], now, late)
  local v = redis.call('HMGET', c, 'seeded', 'used')
  if not v[1] then unseeded[#unseeded + 1] = i end
  used[i] = v[2] or '0'
end
if #unseeded > 0 then return {'unseeded', unpack(unseeded)} end
for i = 1, n do
  if not le(used[i], ARGV[3 + 2 * i]) then return {'exceeded', i, used[i]} end
end
local lapse = now + ttl
for i = 1, n do
  add(KEYS[3 * i - 2], 'used', amount)
  redis.call('ZADD', KEYS[3 * i - 1], lapse, member)
  expire_at(KEYS[3 * i - 1], ARGV[4 + 2 * i], now)
end
return {'reserved', lapse}`;

/**
 * KEYS: b, bz, bx per counter. ARGV: member, actual, actual − amount, lateMs, charge marker ('' for
 * none: recorded in bx like a charge's, so a charge with the request's id is then a duplicate).
 * Returns {live, lapsed}: on how many counters the reservation was live / lapsed (and recorded).
 */
export const SETTLE = `${HELPERS}
local member, actual, delta, late, marker = ARGV[1], ARGV[2], ARGV[3], tonumber(ARGV[4]), ARGV[5]
local live, lapsed = 0, 0
for i = 1, #KEYS / 3 do
  local c = KEYS[3 * i - 2]
  local recorded = false
  if redis.call('ZREM', KEYS[3 * i - 1], member) == 1 then
    add(c, 'used', delta)
    add(c, 'spent', actual)
    live = live + 1
    recorded = true
  elseif take_lapsed(KEYS[3 * i], member, late) then
    add(c, 'used', actual)
    add(c, 'spent', actual)
    lapsed = lapsed + 1
    recorded = true
  end
  if recorded and marker ~= '' then
    redis.call('ZADD', KEYS[3 * i], 'NX', now_ms(), marker)
    redis.call('PEXPIRE', KEYS[3 * i], late)
  end
end
return {live, lapsed}`;

/** KEYS: b, bz, bx per counter. ARGV: member, −amount, lateMs. Returns {released, lapsed}. */
export const RELEASE = `${HELPERS}
local member, minus, late = ARGV[1], ARGV[2], tonumber(ARGV[3])
local released, lapsed = 0, 0
for i = 1, #KEYS / 3 do
  if redis.call('ZREM', KEYS[3 * i - 1], member) == 1 then
    add(KEYS[3 * i - 2], 'used', minus)
    released = released + 1
  elseif take_lapsed(KEYS[3 * i], member, late) then
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
local v = redis.call('HMGET', c, 'seeded', 'spent')
if v[1] then return 0 end
-- used := used − old spent + spent (old spent is 0 unless the hash survived without its flag)
if v[2] and v[2] ~= '0' then redis.call('HINCRBY', c, 'used', '-' .. v[2]) end
redis.call('HINCRBY', c, 'used', ARGV[1])
redis.call('HSET', c, 'spent', ARGV[1], 'seeded', '1')
expire_at(c, ARGV[2], now_ms())
return 1`;

/**
 * KEYS: b, bz, bx per counter. ARGV: marker ("charge:<id>"), amount, lateMs. Adds amount to every
 * seeded counter that has not seen the marker (kept in bx for the late-settle window). An unseeded
 * counter records the marker too: its seed will count the charge, a retry after it must not.
 * Returns {charged, unseeded, duplicate} counts.
 */
export const CHARGE = `${HELPERS}
local marker, amount, late = ARGV[1], ARGV[2], tonumber(ARGV[3])
local now = now_ms()
local charged, unseeded, duplicate = 0, 0, 0
for i = 1, #KEYS / 3 do
  local c, x = KEYS[3 * i - 2], KEYS[3 * i]
  redis.call('ZREMRANGEBYSCORE', x, '-inf', now - late)
  if redis.call('ZADD', x, 'NX', now, marker) == 0 then
    duplicate = duplicate + 1
  elseif redis.call('HEXISTS', c, 'seeded') == 0 then
    unseeded = unseeded + 1
  else
    add(c, 'used', amount)
    add(c, 'spent', amount)
    charged = charged + 1
  end
  redis.call('PEXPIRE', x, late)
end
return {charged, unseeded, duplicate}`;

/** KEYS: b, bz, bx. ARGV: lateMs. Returns {spent, used, seeded} (strings or nil). */
export const STATUS = `${HELPERS}
reap(KEYS[1], KEYS[2], KEYS[3], now_ms(), tonumber(ARGV[1]))
return redis.call('HMGET', KEYS[1], 'spent', 'used', 'seeded')`;
