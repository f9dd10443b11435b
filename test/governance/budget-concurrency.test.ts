// Budgets under concurrency: many requests from several connections and several processes
// against one small budget never spend more than the limit, still use most of it, and the
// counters end equal to the spend the callers settled.
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seededRandom } from '../../src/core/random.js';
import { createMemoryBudgetLedger } from '../../src/governance/budget-memory.js';
import { createRedisBudgetLedger } from '../../src/governance/budget-redis.js';
import type { BudgetLedger, BudgetScope } from '../../src/governance/budget-types.js';
import { compileGovernance, runWorker, type Compiled } from './children.js';
import { dropPrefix, REDIS_URL, redisAvailable, scope, uniquePrefix, USD } from './helpers.js';

const HAS_REDIS = await redisAvailable('budget concurrency tests');
const LIMIT = (2n * USD) / 100n; // $0.02
const MIN_PICO = 50_000_000; // $0.00005
const MAX_PICO = 500_000_000; // $0.0005

/** `requests` reserve → hold up to 5 ms → settle (70–100 % of the amount), `concurrency` at a time. */
async function load(ledger: BudgetLedger, scopes: BudgetScope[], opts: { requests: number; concurrency: number; seed: number }) {
  const random = seededRandom(opts.seed);
  let settled = 0n;
  let reserved = 0;
  let next = 0;
  const one = async () => {
    const amount = BigInt(Math.floor(MIN_PICO + random() * (MAX_PICO - MIN_PICO)));
    const r = await ledger.reserve({ scopes, amountPico: amount, ttlMs: 30_000 });
    if (r.status === 'exceeded') return;
    if (r.status !== 'reserved') throw new Error(`reserve: ${r.status}`);
    reserved++;
    await new Promise((resolve) => setTimeout(resolve, random() * 5));
    const actual = (amount * BigInt(70 + Math.floor(random() * 31))) / 100n;
    expect(await ledger.settle(r.reservation, actual)).toBe('settled');
    settled += actual;
  };
  await Promise.all(
    Array.from({ length: opts.concurrency }, async () => {
      while (next++ < opts.requests) await one();
    }),
  );
  return { settled, reserved };
}

async function expectExact(ledger: BudgetLedger, s: BudgetScope, settled: bigint): Promise<void> {
  const status = await ledger.status(s);
  expect(status.reservedPico).toBe(0n);
  expect(status.spentPico).toBe(settled);
  expect(status.spentPico).toBeLessThanOrEqual(s.limitPico);
  expect(status.spentPico * 100n).toBeGreaterThanOrEqual(s.limitPico * 80n);
}

describe('budget concurrency: in-process', () => {
  it('300 concurrent requests on a $0.02 budget: no overshoot, ≥ 80 % used, exact', async () => {
    const ledger = createMemoryBudgetLedger();
    const key = scope('key:a', LIMIT);
    await ledger.seed({ scope: key, spentPico: 0n });
    const { settled } = await load(ledger, [key], { requests: 300, concurrency: 30, seed: 1 });
    await expectExact(ledger, key, settled);
    await ledger.close();
  });
});

describe.runIf(HAS_REDIS)('budget concurrency: Redis, several replicas', () => {
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
    const p = uniquePrefix('budget-conc');
    prefixes.push(p);
    return p;
  }

  it('300 concurrent requests from 3 connections on a $0.02 budget: no overshoot, ≥ 80 % used, exact', async () => {
    const p = prefix();
    const clients = [new Redis(REDIS_URL), new Redis(REDIS_URL), new Redis(REDIS_URL)];
    const ledgers = clients.map((client) => createRedisBudgetLedger({ client, prefix: p }));
    const key = scope('key:a', LIMIT);
    await Promise.all(ledgers.map((l) => l.seed({ scope: key, spentPico: 0n })));
    const results = await Promise.all(ledgers.map((l, i) => load(l, [key], { requests: 100, concurrency: 10, seed: 10 + i })));
    await expectExact(
      ledgers[0]!,
      key,
      results.reduce((sum, r) => sum + r.settled, 0n),
    );
    for (const r of results) expect(r.reserved).toBeGreaterThan(0);
    for (const l of ledgers) await l.close();
    for (const c of clients) await c.quit();
  });

  it('3 processes × 100 requests on a $0.02 budget: no overshoot, ≥ 80 % used, exact', async () => {
    const p = prefix();
    const key = scope('key:a', LIMIT);
    const ledger = createRedisBudgetLedger({ url: REDIS_URL, prefix: p });
    await ledger.seed({ scope: key, spentPico: 0n });
    const startAt = Date.now() + 1500;
    const jobs = [0, 1, 2].map((i) =>
      runWorker(compiled, {
        mode: 'budget',
        url: REDIS_URL,
        prefix: p,
        scopes: [{ ...key, limitPico: key.limitPico.toString() }],
        requests: 100,
        concurrency: 10,
        minPico: MIN_PICO,
        maxPico: MAX_PICO,
        seed: 20 + i,
        startAt,
      }),
    );
    const tallies = await Promise.all(jobs);
    for (const t of tallies) expect(t.unavailable).toBe(0);
    await expectExact(
      ledger,
      key,
      tallies.reduce((sum, t) => sum + BigInt(t.settledPico), 0n),
    );
    await ledger.close();
  }, 60_000);

  it('3 processes, each its own key budget, sharing one team budget: every limit holds', async () => {
    const p = prefix();
    const team = scope('team:t', LIMIT, 'month');
    const keys = [0, 1, 2].map((i) => scope(`key:k${i}`, LIMIT / 2n));
    const ledger = createRedisBudgetLedger({ url: REDIS_URL, prefix: p });
    for (const s of [team, ...keys]) await ledger.seed({ scope: s, spentPico: 0n });
    const startAt = Date.now() + 1500;
    const tallies = await Promise.all(
      keys.map((key, i) =>
        runWorker(compiled, {
          mode: 'budget',
          url: REDIS_URL,
          prefix: p,
          scopes: [key, team].map((s) => ({ ...s, limitPico: s.limitPico.toString() })),
          requests: 100,
          concurrency: 10,
          minPico: MIN_PICO,
          maxPico: MAX_PICO,
          seed: 30 + i,
          startAt,
        }),
      ),
    );
    const total = tallies.reduce((sum, t) => sum + BigInt(t.settledPico), 0n);
    await expectExact(ledger, team, total);
    for (const [i, key] of keys.entries()) {
      const s = await ledger.status(key);
      expect(s.spentPico).toBe(BigInt(tallies[i]!.settledPico));
      expect(s.spentPico).toBeLessThanOrEqual(key.limitPico);
    }
    await ledger.close();
  }, 60_000);
});
