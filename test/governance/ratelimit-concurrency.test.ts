// Rate limits across replicas: one 30-rpm limit hit by 100 requests within 5 s from three
// connections, and from three processes, admits exactly 30 — not 30 per replica, no burst.
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRedisRateLimiter } from '../../src/governance/ratelimit-redis.js';
import type { RateLimit } from '../../src/governance/ratelimit-types.js';
import { compileGovernance, runWorker, type Compiled } from './children.js';
import { dropPrefix, REDIS_URL, redisAvailable, uniquePrefix } from './helpers.js';

const HAS_REDIS = await redisAvailable('rate limit concurrency tests');

describe.runIf(HAS_REDIS)('rate limits: Redis, several replicas', () => {
  let compiled: Compiled;
  const prefixes: string[] = [];
  beforeAll(() => {
    compiled = compileGovernance();
  });
  afterAll(async () => {
    compiled.dispose();
    for (const p of prefixes) await dropPrefix(p);
  });
  function prefix(): string {
    const p = uniquePrefix('rate-conc');
    prefixes.push(p);
    return p;
  }
  const limits: RateLimit[] = [
    { subject: 'key:a', kind: 'requests', limit: 30, windowMs: 60_000 },
    { subject: 'key:a', kind: 'tokens', limit: 1_000_000, windowMs: 60_000 },
  ];

  it('30 rpm, 100 requests within 5 s from 3 connections: exactly 30 admitted', async () => {
    const p = prefix();
    const clients = [new Redis(REDIS_URL), new Redis(REDIS_URL), new Redis(REDIS_URL)];
    const limiters = clients.map((client) => createRedisRateLimiter({ client, prefix: p }));
    const statuses = await Promise.all(
      Array.from({ length: 100 }, async (_, i) => {
        await new Promise((resolve) => setTimeout(resolve, (i * 4999) / 100));
        return (await limiters[i % 3]!.acquire({ limits, tokens: 100 })).status;
      }),
    );
    expect(statuses.filter((s) => s === 'admitted').length).toBe(30);
    expect(statuses.filter((s) => s === 'limited').length).toBe(70);
    for (const c of clients) await c.quit();
  });

  it('30 rpm, 3 processes × 34 requests spread over 5 s: exactly 30 admitted', async () => {
    const p = prefix();
    const startAt = Date.now() + 1500;
    const tallies = await Promise.all(
      [0, 1, 2].map((i) =>
        runWorker(compiled, { mode: 'rate', url: REDIS_URL, prefix: p, limits, tokens: 100, requests: 34, spreadMs: 5000, seed: 40 + i, startAt }),
      ),
    );
    expect(tallies.reduce((n, t) => n + t.unavailable, 0)).toBe(0);
    expect(tallies.reduce((n, t) => n + t.admitted, 0)).toBe(30);
    expect(tallies.reduce((n, t) => n + t.limited, 0)).toBe(72);
  }, 60_000);
});
