// Lua scripts of the Redis store: each write keeps the entry and its indexes consistent in one
// atomic step, whichever replica runs it. Keys under the prefix P:
//   P e:<key>     the payload (redis-payload.ts), with PX = time to expiry
//   P meta        hash key → {"t":tenant,"m":model,"c":createdAt,"s":size}
//   P t:<tenant>  set of keys      P m:<model>  set of keys
//   P created     zset key by createdAt (age invalidation)
//   P exp         zset key by expiresAt (sweeping the indexes of expired entries)
//   P bytes       sum of value sizes
// Scripts name keys they compute, so they need a standalone (or sentinel) Redis, or a cluster with
// a hash-tagged prefix such as "{costwise}:cache:" (then every key is in one slot).
import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';

// Removes one entry and its index memberships. Returns 1 when the payload was still live.
const REMOVE = `
local function remove(p, key)
  local meta = redis.call('HGET', p .. 'meta', key)
  if not meta then return 0 end
  local m = cjson.decode(meta)
  redis.call('SREM', p .. 't:' .. m.t, key)
  redis.call('SREM', p .. 'm:' .. m.m, key)
  redis.call('ZREM', p .. 'created', key)
  redis.call('ZREM', p .. 'exp', key)
  redis.call('HDEL', p .. 'meta', key)
  redis.call('DECRBY', p .. 'bytes', m.s)
  return redis.call('DEL', p .. 'e:' .. key)
end
`;

/** ARGV: prefix, key, payload, ttlMs, tenant, model, createdAt, expiresAt, size. */
export const SET_SCRIPT = `${REMOVE}
local p, key = ARGV[1], ARGV[2]
remove(p, key)
redis.call('SET', p .. 'e:' .. key, ARGV[3], 'PX', ARGV[4])
redis.call('HSET', p .. 'meta', key, cjson.encode({t = ARGV[5], m = ARGV[6], c = tonumber(ARGV[7]), s = tonumber(ARGV[9])}))
redis.call('SADD', p .. 't:' .. ARGV[5], key)
redis.call('SADD', p .. 'm:' .. ARGV[6], key)
redis.call('ZADD', p .. 'created', ARGV[7], key)
redis.call('ZADD', p .. 'exp', ARGV[8], key)
redis.call('INCRBY', p .. 'bytes', ARGV[9])
return 1`;

/**
 * ARGV: prefix, filter JSON {key?, tenant?, model?, before?} (before: createdAt cutoff, exclusive).
 * Candidates come from the most selective index given; every criterion is then checked on meta.
 * Returns the number of live entries removed.
 */
export const INVALIDATE_SCRIPT = `${REMOVE}
local p = ARGV[1]
local f = cjson.decode(ARGV[2])
local candidates
if f.key then candidates = {f.key}
elseif f.tenant then candidates = redis.call('SMEMBERS', p .. 't:' .. f.tenant)
elseif f.model then candidates = redis.call('SMEMBERS', p .. 'm:' .. f.model)
else candidates = redis.call('ZRANGEBYSCORE', p .. 'created', '-inf', '(' .. f.before) end
local n = 0
for _, key in ipairs(candidates) do
  local meta = redis.call('HGET', p .. 'meta', key)
  if meta then
    local m = cjson.decode(meta)
    if (not f.tenant or m.t == f.tenant) and (not f.model or m.m == f.model) and (not f.before or m.c < f.before) then
      n = n + remove(p, key)
    end
  end
end
return n`;

/** ARGV: prefix, now, limit. Drops the indexes of up to `limit` expired entries; returns how many. */
export const SWEEP_SCRIPT = `${REMOVE}
local p = ARGV[1]
local keys = redis.call('ZRANGEBYSCORE', p .. 'exp', '-inf', ARGV[2], 'LIMIT', 0, tonumber(ARGV[3]))
for _, key in ipairs(keys) do remove(p, key) end
return #keys`;

export type Script = (redis: Redis, args: Array<string | number | Buffer>) => Promise<unknown>;

/** EVALSHA, falling back to EVAL (which loads the script) when the server does not have it yet. */
export function script(source: string): Script {
  const sha = createHash('sha1').update(source).digest('hex');
  return async (redis, args) => {
    try {
      return await redis.evalsha(sha, 0, ...args);
    } catch (err) {
      if (!(err instanceof Error) || !err.message.startsWith('NOSCRIPT')) throw err;
      return redis.eval(source, 0, ...args);
    }
  };
}
