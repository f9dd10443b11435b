// Lua scripts of the Redis rate limiter: one atomic step admits a request on every limit or on
// none, on Redis's clock (TIME), so replicas share one window. Keys per limit L (= subject|kind|
// window) under the prefix P:
//   P r:L   zset   admissions, score = admission time (ms); member = permit id (request limits)
//                  or "<permit id>:<tokens>" (token limits)
//   P rs:L  string sum of the tokens in r:L (token limits only)
// An entry counts while score > now − window. Both keys expire a window after the last admission.
// Token counts stay far below 2^53, so Lua numbers hold them exactly.
import { LUA_COMMON } from './redis-script.js';

const TRIM = `${LUA_COMMON}
local function weight_of(member)
  return tonumber(string.match(member, ':(%d+)$'))
end
-- Drops the entries that left the window; returns what is still counted.
local function trim(kind, z, s, cutoff)
  if kind == 'r' then
    redis.call('ZREMRANGEBYSCORE', z, '-inf', cutoff)
    return redis.call('ZCARD', z)
  end
  local gone = redis.call('ZRANGEBYSCORE', z, '-inf', cutoff)
  if #gone > 0 then
    local total = 0
    for _, m in ipairs(gone) do total = total + weight_of(m) end
    redis.call('DECRBY', s, total)
    redis.call('ZREMRANGEBYSCORE', z, '-inf', cutoff)
  end
  return tonumber(redis.call('GET', s) or '0')
end
`;

/**
 * KEYS: r, rs per limit. ARGV: permit id, then kind ('r' | 't'), limit, windowMs, weight per limit.
 * Returns {'admitted', used1, reset1, used2, reset2, …} | {'limited', i, used, resetMs} | {'too_large', i}.
 */
export const ACQUIRE = `${TRIM}
local id = ARGV[1]
local n = #KEYS / 2
local now = now_ms()
local used = {}
for i = 1, n do
  local z, s = KEYS[2 * i - 1], KEYS[2 * i]
  local kind, limit, window, weight = ARGV[4 * i - 2], tonumber(ARGV[4 * i - 1]), tonumber(ARGV[4 * i]), tonumber(ARGV[4 * i + 1])
  if weight > limit then return {'too_large', i} end
  local u = trim(kind, z, s, now - window)
  if u + weight > limit then
    -- When enough of the log has left the window for this request to fit.
    local need, reset = u + weight - limit, window
    if kind == 'r' then
      local e = redis.call('ZRANGE', z, need - 1, need - 1, 'WITHSCORES')
      if #e > 0 then reset = tonumber(e[2]) + window - now end
    else
      local entries, freed = redis.call('ZRANGE', z, 0, -1, 'WITHSCORES'), 0
      for j = 1, #entries, 2 do
        freed = freed + weight_of(entries[j])
        if freed >= need then
          reset = tonumber(entries[j + 1]) + window - now
          break
        end
      end
    end
    return {'limited', i, u, reset}
  end
  used[i] = u
end
local out = {'admitted'}
for i = 1, n do
  local z, s = KEYS[2 * i - 1], KEYS[2 * i]
  local kind, window, weight = ARGV[4 * i - 2], ARGV[4 * i], ARGV[4 * i + 1]
  if kind == 'r' then
    redis.call('ZADD', z, now, id)
  else
    redis.call('ZADD', z, now, id .. ':' .. weight)
    redis.call('INCRBY', s, weight)
    redis.call('PEXPIRE', s, window)
  end
  redis.call('PEXPIRE', z, window)
  local first = redis.call('ZRANGE', z, 0, 0, 'WITHSCORES')
  out[#out + 1] = used[i] + tonumber(weight)
  out[#out + 1] = tonumber(first[2]) + tonumber(window) - now
end
return out`;

/**
 * KEYS: r, rs per token limit. ARGV: "<permit id>:<tokens counted now>", permit id, actual tokens.
 * Returns how many entries were corrected (0 when they have left the log).
 */
export const ADJUST = `
local old, id, actual = ARGV[1], ARGV[2], ARGV[3]
local delta = tonumber(actual) - tonumber(string.match(old, ':(%d+)$'))
local kept = 0
for i = 1, #KEYS / 2 do
  local z, s = KEYS[2 * i - 1], KEYS[2 * i]
  local score = redis.call('ZSCORE', z, old)
  if score then
    redis.call('ZREM', z, old)
    redis.call('ZADD', z, score, id .. ':' .. actual)
    redis.call('INCRBY', s, delta)
    kept = kept + 1
  end
end
return kept`;
