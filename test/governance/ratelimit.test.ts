// Rate limits, run over the in-process and the Redis limiter: sliding-window exactness, atomic
// admission across limits, token estimates corrected afterwards, the numbers headers need.
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { rateLimitHeaders } from '../../src/governance/ratelimit-headers.js';
import { createMemoryRateLimiter } from '../../src/governance/ratelimit-memory.js';
import { createRedisRateLimiter } from '../../src/governance/ratelimit-redis.js';
import type { AcquireResult, Permit, RateLimit, RateLimiter } from '../../src/governance/ratelimit-types.js';
import { dropPrefix, fakeClock, realClock, REDIS_URL, redisAvailable, uniquePrefix, type Clock } from './helpers.js';

interface Opened {
  limiter: RateLimiter;
  clock: Clock;
  dispose(): Promise<void>;
}

const memory = {
  name: 'memory',
  open(): Opened {
    const clock = fakeClock();
    const limiter = createMemoryRateLimiter({ now: clock.now });
    return { limiter, clock, dispose: () => limiter.close() };
  },
};

const redis = {
  name: 'redis',
  open(): Opened {
    const prefix = uniquePrefix('rate');
    const limiter = createRedisRateLimiter({ url: REDIS_URL, prefix });
    return {
      limiter,
      clock: realClock,
      dispose: async () => {
        await limiter.close();
        await dropPrefix(prefix);
      },
    };
  },
};

const HAS_REDIS = await redisAvailable('rate limit tests');
const open: Opened[] = [];
afterEach(async () => {
  for (const o of open.splice(0)) await o.dispose();
});

const rpm = (limit: number, windowMs = 60_000, subject = 'key:a'): RateLimit => ({ subject, kind: 'requests', limit, windowMs });
const tpm = (limit: number, windowMs = 60_000, subject = 'key:a'): RateLimit => ({ subject, kind: 'tokens', limit, windowMs });

function admitted(result: AcquireResult): Extract<AcquireResult, { status: 'admitted' }> {
  if (result.status !== 'admitted') throw new Error(`expected admission, got ${JSON.stringify(result)}`);
  return result;
}

describe.each([memory, ...(HAS_REDIS ? [redis] : [])])('rate limiter: $name', (backend) => {
  function start(): Opened {
    const o = backend.open();
    open.push(o);
    return o;
  }

  it('admits N requests per window, then refuses with the time until a slot frees', async () => {
    const { limiter } = start();
    const limit = rpm(3, 10_000);
    const states = [];
    for (let i = 0; i < 3; i++) states.push(admitted(await limiter.acquire({ limits: [limit], tokens: 0 })).states[0]!);
    expect(states.map((s) => s.remaining)).toEqual([2, 1, 0]);
    expect(states[0]!.resetMs).toBeGreaterThan(9_000);
    const refused = await limiter.acquire({ limits: [limit], tokens: 0 });
    expect(refused).toMatchObject({ status: 'limited', state: { limit, remaining: 0 }, retryAfterSeconds: 10 });
    if (refused.status === 'limited') expect(refused.state.resetMs).toBeLessThanOrEqual(10_000);
  });

  it('slides: a slot frees exactly when the oldest admission leaves the window', async () => {
    const { limiter, clock } = start();
    const limit = rpm(2, 1000);
    admitted(await limiter.acquire({ limits: [limit], tokens: 0 }));
    await clock.advance(500);
    admitted(await limiter.acquire({ limits: [limit], tokens: 0 }));
    const refused = await limiter.acquire({ limits: [limit], tokens: 0 });
    expect(refused.status).toBe('limited');
    if (refused.status !== 'limited') return;
    // The first admission leaves 1000 ms after it was made, at least 500 ms ago (timers only run late).
    expect(refused.state.resetMs).toBeGreaterThan(0);
    expect(refused.state.resetMs).toBeLessThanOrEqual(500);
    await clock.advance(refused.state.resetMs + 5);
    admitted(await limiter.acquire({ limits: [limit], tokens: 0 }));
    // The second admission is still in the window: no burst.
    expect((await limiter.acquire({ limits: [limit], tokens: 0 })).status).toBe('limited');
  });

  it('admits on every limit or on none', async () => {
    const { limiter } = start();
    const key = rpm(10, 60_000, 'key:a');
    const team = rpm(1, 60_000, 'team:t');
    admitted(await limiter.acquire({ limits: [key, team], tokens: 0 }));
    expect(await limiter.acquire({ limits: [key, team], tokens: 0 })).toMatchObject({ status: 'limited', state: { limit: team } });
    // The refused request did not count on the key.
    expect(admitted(await limiter.acquire({ limits: [key], tokens: 0 })).states[0]!.remaining).toBe(8);
  });

  it('counts tokens by estimate, then by the actual count', async () => {
    const { limiter } = start();
    const limit = tpm(1000);
    const first = admitted(await limiter.acquire({ limits: [limit], tokens: 800 }));
    expect(first.states[0]!.remaining).toBe(200);
    expect(await limiter.acquire({ limits: [limit], tokens: 300 })).toMatchObject({ status: 'limited', state: { remaining: 200 } });
    expect(await limiter.adjust(first.permit, 500)).toBe('adjusted');
    expect(admitted(await limiter.acquire({ limits: [limit], tokens: 300 })).states[0]!.remaining).toBe(200);
    // An actual count above the estimate is counted in full.
    const third = admitted(await limiter.acquire({ limits: [limit], tokens: 100 }));
    await limiter.adjust(third.permit, 400);
    expect(await limiter.acquire({ limits: [limit], tokens: 1 })).toMatchObject({ status: 'limited', state: { remaining: 0 } });
    expect(await limiter.acquire({ limits: [limit], tokens: 1001 })).toEqual({ status: 'too_large', limit });
  });

  it('a permit can be adjusted more than once; each correction replaces the last', async () => {
    const { limiter } = start();
    const limit = tpm(1000);
    const { permit } = admitted(await limiter.acquire({ limits: [limit, tpm(5000, 60_000, 'team:t')], tokens: 800 }));
    expect(await limiter.adjust(permit, 500)).toBe('adjusted');
    expect(await limiter.adjust(permit, 100)).toBe('adjusted');
    expect(admitted(await limiter.acquire({ limits: [limit], tokens: 900 })).states[0]!.remaining).toBe(0);
    const team = admitted(await limiter.acquire({ limits: [tpm(5000, 60_000, 'team:t')], tokens: 0 }));
    expect(team.states[0]!.remaining).toBe(4900);
  });

  it('token reset names when enough tokens leave the window for the request', async () => {
    const { limiter, clock } = start();
    const limit = tpm(100, 2000);
    admitted(await limiter.acquire({ limits: [limit], tokens: 60 }));
    await clock.advance(500);
    admitted(await limiter.acquire({ limits: [limit], tokens: 30 }));
    const refused = await limiter.acquire({ limits: [limit], tokens: 50 });
    expect(refused.status).toBe('limited');
    if (refused.status === 'limited') {
      // 50 fit once the 60-token entry leaves (≤ 1500 ms), not only when both have left (~2000 ms).
      expect(refused.state.resetMs).toBeGreaterThan(1000);
      expect(refused.state.resetMs).toBeLessThanOrEqual(1500);
    }
  });

  it('adjusting a permit whose entry left the window changes nothing', async () => {
    const { limiter, clock } = start();
    const limit = tpm(100, 200);
    const { permit } = admitted(await limiter.acquire({ limits: [limit, rpm(5, 200)], tokens: 50 }));
    await clock.advance(250);
    admitted(await limiter.acquire({ limits: [limit], tokens: 100 }));
    expect(await limiter.adjust(permit, 10)).toBe('expired');
    expect(await limiter.acquire({ limits: [limit], tokens: 1 })).toMatchObject({ status: 'limited' });
  });

  it('rejects malformed requests', async () => {
    const { limiter } = start();
    await expect(limiter.acquire({ limits: [rpm(0)], tokens: 0 })).rejects.toThrow(/positive/);
    await expect(limiter.acquire({ limits: [rpm(1), rpm(1)], tokens: 0 })).rejects.toThrow(/twice/);
    await expect(limiter.acquire({ limits: [], tokens: -1 })).rejects.toThrow(/tokens/);
    expect((await limiter.acquire({ limits: [], tokens: 5 })).status).toBe('admitted');
    const permit: Permit = admitted(await limiter.acquire({ limits: [rpm(1)], tokens: 5 })).permit;
    expect(await limiter.adjust(permit, 1)).toBe('adjusted');
  });
});

describe.runIf(HAS_REDIS)('redis rate limiter failures', () => {
  it('answers unavailable when Redis cannot be reached', async () => {
    const limiter = createRedisRateLimiter({ url: 'redis://127.0.0.1:1', commandTimeoutMs: 200 });
    expect((await limiter.acquire({ limits: [rpm(1)], tokens: 1 })).status).toBe('unavailable');
    expect(await limiter.adjust({ id: 'p', tokens: 1, tokenLimits: [tpm(5)] }, 0)).toBe('unavailable');
    await limiter.close();
  });
});

describe('sliding window exactness (in-process, fake clock)', () => {
  it('property: never more than N admissions in any window, and never a refusal with room left', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 1, max: 8 }), fc.array(fc.integer({ min: 0, max: 400 }), { minLength: 1, maxLength: 120 }), async (n, gaps) => {
        let t = 0;
        const limiter = createMemoryRateLimiter({ now: () => t });
        const limit = rpm(n, 1000);
        const times: number[] = [];
        for (const gap of gaps) {
          t += gap;
          const inWindow = times.filter((a) => a > t - 1000).length;
          const r = await limiter.acquire({ limits: [limit], tokens: 0 });
          expect(r.status).toBe(inWindow < n ? 'admitted' : 'limited');
          if (r.status === 'admitted') times.push(t);
        }
        for (const start of times) expect(times.filter((a) => a >= start && a < start + 1000).length).toBeLessThanOrEqual(n);
        await limiter.close();
      }),
      { numRuns: 300 },
    );
  });
});

describe('rate limit headers', () => {
  it('show the tightest limit of each kind', () => {
    const headers = rateLimitHeaders([
      { limit: rpm(30), remaining: 12, resetMs: 1500 },
      { limit: rpm(100, 60_000, 'team:t'), remaining: 3, resetMs: 800 },
      { limit: tpm(10_000), remaining: 9000, resetMs: 2000 },
    ]);
    expect(headers).toEqual({
      'x-ratelimit-limit-requests': '100',
      'x-ratelimit-remaining-requests': '3',
      'x-ratelimit-reset-requests': '0.8s',
      'x-ratelimit-limit-tokens': '10000',
      'x-ratelimit-remaining-tokens': '9000',
      'x-ratelimit-reset-tokens': '2s',
    });
  });
});
