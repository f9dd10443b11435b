// Shared by the governance tests: Redis availability (required when CI is set), unique key
// prefixes so parallel runs never collide, clocks, and scope builders.
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import type { BudgetScope } from '../../src/governance/budget-types.js';
import { periodWindow, type BudgetPeriod } from '../../src/governance/periods.js';

export const REDIS_URL = process.env.COSTWISE_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

/** Whether Redis answers. With CI set, a missing Redis fails the run instead of skipping. */
export async function redisAvailable(suite: string): Promise<boolean> {
  const probe = new Redis(REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null, connectTimeout: 1000 });
  probe.on('error', () => {});
  try {
    await probe.connect();
    await probe.ping();
    return true;
  } catch (err) {
    if (process.env.CI) throw new Error(`Redis is required when CI is set (${REDIS_URL}): ${(err as Error).message}`, { cause: err });
    process.stderr.write(`\n[${suite}] Redis at ${REDIS_URL} is down: Redis tests SKIPPED\n`);
    return false;
  } finally {
    probe.disconnect();
  }
}

export function uniquePrefix(name: string): string {
  return `cwtest:gov:${name}:${randomUUID()}:`;
}

/** Deletes every key under `prefix`. */
export async function dropPrefix(prefix: string): Promise<void> {
  const redis = new Redis(REDIS_URL);
  try {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 500);
      if (keys.length > 0) await redis.del(...keys);
      cursor = next;
    } while (cursor !== '0');
  } finally {
    await redis.quit();
  }
}

export interface Clock {
  now: () => number;
  advance(ms: number): Promise<void>;
}

export function fakeClock(start = Date.UTC(2025, 5, 15, 12)): Clock {
  let t = start;
  return {
    now: () => t,
    advance: (ms) => {
      t += ms;
      return Promise.resolve();
    },
  };
}

export const realClock: Clock = {
  now: () => Date.now(),
  advance: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
};

export function scope(subject: string, limitPico: bigint, period: BudgetPeriod = 'day', at = Date.now()): BudgetScope {
  return { subject, limitPico, window: periodWindow({ period, at }) };
}

export const USD = 1_000_000_000_000n;
