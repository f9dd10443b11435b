// In-process sliding-window rate limiter (one replica): a log of admissions per limit, oldest
// first, trimmed as entries leave the window. Same semantics as the Redis limiter.
import { randomUUID } from 'node:crypto';
import { promised } from './promise.js';
import { checkAcquire, checkTokens, limitId, retryAfterSeconds } from './ratelimit-input.js';
import type { AcquireResult, AdjustStatus, LimitState, Permit, RateLimit, RateLimiter } from './ratelimit-types.js';

interface Entry {
  t: number;
  weight: number;
  /** Left the window (trimmed). */
  gone: boolean;
}

interface Log {
  entries: Entry[];
  head: number;
  /** Sum of the weights of entries[head..]. */
  sum: number;
}

export interface MemoryRateLimiterOptions {
  now?: () => number;
  /** How often empty logs are dropped (default 60 s). */
  sweepIntervalMs?: number;
}

export function createMemoryRateLimiter(opts: MemoryRateLimiterOptions = {}): RateLimiter {
  const now = opts.now ?? Date.now;
  const logs = new Map<string, Log>();
  const permits = new WeakMap<Permit, Array<{ log: Log; entry: Entry; windowMs: number }>>();

  const sweeper = setInterval(() => {
    for (const [id, log] of logs) if (log.head === log.entries.length) logs.delete(id);
  }, opts.sweepIntervalMs ?? 60_000);
  sweeper.unref();

  function logOf(limit: RateLimit): Log {
    const id = limitId(limit);
    let log = logs.get(id);
    if (log === undefined) {
      log = { entries: [], head: 0, sum: 0 };
      logs.set(id, log);
    }
    return log;
  }

  function trim(log: Log, cutoff: number): void {
    while (log.head < log.entries.length && log.entries[log.head]!.t <= cutoff) {
      const e = log.entries[log.head++]!;
      e.gone = true;
      log.sum -= e.weight;
    }
    if (log.head > 1024 && log.head * 2 > log.entries.length) {
      log.entries = log.entries.slice(log.head);
      log.head = 0;
    }
  }

  /** Ms until enough of the log leaves the window for `need` more to fit. */
  function resetFor(log: Log, need: number, windowMs: number, t: number): number {
    let freed = 0;
    for (let i = log.head; i < log.entries.length; i++) {
      const e = log.entries[i]!;
      freed += e.weight;
      if (freed >= need) return e.t + windowMs - t;
    }
    return windowMs;
  }

  return {
    acquire(request): Promise<AcquireResult> {
      return promised(() => {
        checkAcquire(request);
        const t = now();
        const weightOf = (l: RateLimit): number => (l.kind === 'requests' ? 1 : request.tokens);
        const logsFor = request.limits.map((limit) => ({ limit, log: logOf(limit) }));
        for (const { limit, log } of logsFor) {
          trim(log, t - limit.windowMs);
          const weight = weightOf(limit);
          if (weight > limit.limit) return { status: 'too_large', limit };
          if (log.sum + weight > limit.limit) {
            const resetMs = resetFor(log, log.sum + weight - limit.limit, limit.windowMs, t);
            return {
              status: 'limited',
              state: { limit, remaining: Math.max(0, limit.limit - log.sum), resetMs },
              retryAfterSeconds: retryAfterSeconds(resetMs),
            };
          }
        }
        const permit: Permit = Object.freeze({ id: randomUUID(), tokens: request.tokens, tokenLimits: request.limits.filter((l) => l.kind === 'tokens') });
        const held: Array<{ log: Log; entry: Entry; windowMs: number }> = [];
        const states: LimitState[] = logsFor.map(({ limit, log }) => {
          const last = log.entries[log.entries.length - 1];
          // Never older than the newest entry, so the log stays in time order if the clock steps back.
          const entry: Entry = { t: Math.max(t, last?.t ?? t), weight: weightOf(limit), gone: false };
          log.entries.push(entry);
          log.sum += entry.weight;
          if (limit.kind === 'tokens') held.push({ log, entry, windowMs: limit.windowMs });
          return { limit, remaining: limit.limit - log.sum, resetMs: log.entries[log.head]!.t + limit.windowMs - t };
        });
        permits.set(permit, held);
        return { status: 'admitted', permit, states };
      });
    },

    adjust(permit, actualTokens): Promise<AdjustStatus> {
      return promised(() => {
        checkTokens(actualTokens);
        const held = permits.get(permit) ?? [];
        let adjusted = held.length === 0;
        for (const { log, entry, windowMs } of held) {
          trim(log, now() - windowMs);
          if (entry.gone) continue;
          log.sum += actualTokens - entry.weight;
          entry.weight = actualTokens;
          adjusted = true;
        }
        return adjusted ? 'adjusted' : 'expired';
      });
    },

    close() {
      return promised(() => {
        clearInterval(sweeper);
        logs.clear();
      });
    },
  };
}
