// Redis sliding-window rate limiter: one Lua step per request (ratelimit-redis-scripts.ts), so any
// number of replicas share each limit exactly.
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { checkAcquire, checkTokens, limitId, retryAfterSeconds } from './ratelimit-input.js';
import { ACQUIRE, ADJUST } from './ratelimit-redis-scripts.js';
import { redisScript } from './redis-script.js';
import type { AcquireResult, AdjustStatus, LimitState, Permit, RateLimit, RateLimiter } from './ratelimit-types.js';

export interface RedisRateLimiterOptions {
  /** A connection the caller owns (not closed by `close`), or… */
  client?: Redis;
  /** …a URL to connect to (closed by `close`). Default redis://127.0.0.1:6379. */
  url?: string;
  /** Key prefix shared by the replicas (default "costwise:gov:"; "{costwise}:gov:" on a cluster). */
  prefix?: string;
  /** Longest wait for a reply on a connection this limiter opens (default 1,000 ms). */
  commandTimeoutMs?: number;
}

const acquireScript = redisScript(ACQUIRE);
const adjustScript = redisScript(ADJUST);

export function createRedisRateLimiter(opts: RedisRateLimiterOptions = {}): RateLimiter {
  const owned = opts.client === undefined;
  const redis = opts.client ?? new Redis(opts.url ?? 'redis://127.0.0.1:6379', { maxRetriesPerRequest: 1, commandTimeout: opts.commandTimeoutMs ?? 1_000 });
  if (owned) redis.on('error', () => {}); // failures surface per call as `unavailable`
  const prefix = opts.prefix ?? 'costwise:gov:';
  const keysOf = (limits: readonly RateLimit[]): string[] =>
    limits.flatMap((l) => {
      const id = limitId(l);
      return [`${prefix}r:${id}`, `${prefix}rs:${id}`];
    });
  // Tokens each permit is counted with now (its estimate until adjusted).
  const counted = new WeakMap<Permit, number>();

  return {
    async acquire(request): Promise<AcquireResult> {
      checkAcquire(request);
      const { limits, tokens } = request;
      const id = randomUUID();
      const args: Array<string | number> = [id];
      for (const l of limits) args.push(l.kind === 'requests' ? 'r' : 't', l.limit, l.windowMs, l.kind === 'requests' ? 1 : tokens);
      let reply: Array<string | number>;
      try {
        reply = (await acquireScript(redis, keysOf(limits), args)) as Array<string | number>;
      } catch (err) {
        return { status: 'unavailable', error: err instanceof Error ? err : new Error(String(err)) };
      }
      if (reply[0] === 'too_large') return { status: 'too_large', limit: limits[Number(reply[1]) - 1]! };
      if (reply[0] === 'limited') {
        const limit = limits[Number(reply[1]) - 1]!;
        const resetMs = Number(reply[3]);
        return {
          status: 'limited',
          state: { limit, remaining: Math.max(0, limit.limit - Number(reply[2])), resetMs },
          retryAfterSeconds: retryAfterSeconds(resetMs),
        };
      }
      const states: LimitState[] = limits.map((limit, i) => ({ limit, remaining: limit.limit - Number(reply[1 + 2 * i]), resetMs: Number(reply[2 + 2 * i]) }));
      const permit: Permit = Object.freeze({ id, tokens, tokenLimits: limits.filter((l) => l.kind === 'tokens') });
      return { status: 'admitted', permit, states };
    },

    async adjust(permit, actualTokens): Promise<AdjustStatus> {
      checkTokens(actualTokens);
      if (permit.tokenLimits.length === 0) return 'adjusted';
      const current = counted.get(permit) ?? permit.tokens;
      try {
        const kept = Number(await adjustScript(redis, keysOf(permit.tokenLimits), [`${permit.id}:${current}`, permit.id, actualTokens]));
        if (kept === 0) return 'expired';
        counted.set(permit, actualTokens);
        return 'adjusted';
      } catch {
        return 'unavailable';
      }
    },

    async close() {
      if (owned) await redis.quit().catch(() => redis.disconnect());
    },
  };
}
