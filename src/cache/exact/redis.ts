// Redis store: shared by several gateway replicas. Entries expire by Redis TTL (PX); per-tenant and
// per-model sets and a createdAt sorted set make invalidation by tenant, model and age work from
// any replica (redis-scripts.ts has the key layout). No byte bound of its own: size Redis with
// maxmemory (an evicted payload is a miss; its index rows go at the next sweep).
import { Redis } from 'ioredis';
import { assertFilter, valueSize, type CacheEntry, type CacheStats, type InvalidateFilter, type NewCacheEntry, type ResponseCacheStore } from '../types.js';
import { decodePayload, encodePayload } from './redis-payload.js';
import { INVALIDATE_SCRIPT, SET_SCRIPT, SWEEP_SCRIPT, script } from './redis-scripts.js';
import { startSweeper } from './sweeper.js';

export interface RedisCacheOptions {
  /** A connection the caller owns (not closed by `close`), or… */
  client?: Redis;
  /** …a URL to connect to (closed by `close`). Default redis://127.0.0.1:6379. */
  url?: string;
  /** Key prefix; replicas sharing a cache use the same one (default "costwise:cache:"). */
  prefix?: string;
  /** Clock (epoch ms) for TTLs and ages; Redis itself expires entries on its own clock. */
  now?: () => number;
  /** How often the indexes of expired entries are cleaned (default 60 s; 0: only on stats/invalidate). */
  sweepIntervalMs?: number;
}

const SWEEP_BATCH = 1000;
const setScript = script(SET_SCRIPT);
const invalidateScript = script(INVALIDATE_SCRIPT);
const sweepScript = script(SWEEP_SCRIPT);

export function openRedisCache(opts: RedisCacheOptions = {}): ResponseCacheStore {
  const owned = opts.client === undefined;
  const redis = opts.client ?? new Redis(opts.url ?? 'redis://127.0.0.1:6379', { maxRetriesPerRequest: 1 });
  const prefix = opts.prefix ?? 'costwise:cache:';
  const now = opts.now ?? Date.now;
  let closed = false;

  const open = (): void => {
    if (closed) throw new Error('cache store is closed');
  };

  /** Sweeps in batches until nothing expired is left. */
  async function sweepAll(): Promise<number> {
    let total = 0;
    for (;;) {
      const n = Number(await sweepScript(redis, [prefix, now(), SWEEP_BATCH]));
      total += n;
      if (n < SWEEP_BATCH) return total;
    }
  }

  const sweeper = startSweeper(opts.sweepIntervalMs ?? 60_000, sweepAll);

  return {
    async get(key: string, tenant: string): Promise<CacheEntry | undefined> {
      open();
      const payload = await redis.getBuffer(prefix + 'e:' + key);
      if (payload === null) return undefined;
      const entry = decodePayload(key, payload);
      // Redis expires by its own clock; this check keeps `expiresAt` exact for this replica.
      if (entry === undefined || entry.tenant !== tenant || entry.expiresAt <= now()) return undefined;
      return entry;
    },
    async set(entry: NewCacheEntry): Promise<boolean> {
      open();
      const ttl = entry.expiresAt - now();
      if (ttl <= 0) {
        await invalidateScript(redis, [prefix, JSON.stringify({ key: entry.key })]);
        return false;
      }
      const args = [
        prefix,
        entry.key,
        encodePayload(entry),
        Math.ceil(ttl),
        entry.tenant,
        entry.model,
        entry.createdAt,
        entry.expiresAt,
        valueSize(entry.value),
      ];
      await setScript(redis, args);
      return true;
    },
    async invalidate(filter: InvalidateFilter): Promise<number> {
      assertFilter(filter);
      open();
      await sweepAll();
      const { key, tenant, model, olderThanMs } = filter;
      const before = olderThanMs === undefined ? undefined : now() - olderThanMs;
      return Number(await invalidateScript(redis, [prefix, JSON.stringify({ key, tenant, model, before })]));
    },
    async sweep(): Promise<number> {
      open();
      return sweepAll();
    },
    async stats(): Promise<CacheStats> {
      open();
      await sweepAll();
      const [entries, bytes] = await Promise.all([redis.hlen(prefix + 'meta'), redis.get(prefix + 'bytes')]);
      // Redis's own maxmemory evictions are not visible here.
      return { entries, bytes: Number(bytes ?? 0), evictions: 0 };
    },
    async close(): Promise<void> {
      if (closed) return;
      closed = true;
      sweeper.stop();
      if (owned) await redis.quit();
    },
  };
}
