// Seeding through the guard: a new window or a lost counter is loaded from the durable ledger once
// per replica, seeded once across replicas, and the reservation goes through. Also the scope and
// limit lists built from a key and its teams.
import { afterAll, describe, expect, it } from 'vitest';
import { createBudgetGuard } from '../../src/governance/budget-guard.js';
import { createMemoryBudgetLedger } from '../../src/governance/budget-memory.js';
import { createRedisBudgetLedger } from '../../src/governance/budget-redis.js';
import type { BudgetScope } from '../../src/governance/budget-types.js';
import type { KeyRecord, TeamRecord } from '../../src/governance/schema.js';
import { budgetScopes, rateLimits } from '../../src/governance/scopes.js';
import { dropPrefix, REDIS_URL, redisAvailable, scope, uniquePrefix } from './helpers.js';

const HAS_REDIS = await redisAvailable('budget guard tests');
const prefixes: string[] = [];
afterAll(async () => {
  for (const p of prefixes) await dropPrefix(p);
});

describe('budget guard', () => {
  it('seeds each unseeded counter once, from one load shared by concurrent requests', async () => {
    const ledger = createMemoryBudgetLedger();
    const loads: string[] = [];
    const guard = createBudgetGuard({
      ledger,
      loadSpent: async (s: BudgetScope) => {
        loads.push(s.subject);
        await new Promise((resolve) => setTimeout(resolve, 20));
        return s.subject === 'key:a' ? 900n : 0n;
      },
    });
    const scopes = [scope('key:a', 1000n), scope('team:t', 5000n)];
    const results = await Promise.all(Array.from({ length: 20 }, () => guard.reserve({ scopes, amountPico: 10n, ttlMs: 60_000 })));
    expect(loads.sort()).toEqual(['key:a', 'team:t']);
    expect(results.filter((r) => r.status === 'reserved').length).toBe(10);
    expect(results.filter((r) => r.status === 'exceeded').length).toBe(10);
    await ledger.close();
  });

  it('answers unavailable when the durable ledger cannot be read', async () => {
    const ledger = createMemoryBudgetLedger();
    const guard = createBudgetGuard({ ledger, loadSpent: () => Promise.reject(new Error('db down')) });
    expect(await guard.reserve({ scopes: [scope('key:a', 1n)], amountPico: 1n, ttlMs: 1000 })).toMatchObject({
      status: 'unavailable',
      error: { message: 'db down' },
    });
    await ledger.close();
  });

  it.runIf(HAS_REDIS)('Redis lost its data: counters are reseeded from the ledger; stale reservations change nothing', async () => {
    const prefix = uniquePrefix('guard');
    prefixes.push(prefix);
    const replicas = [0, 1].map(() => createRedisBudgetLedger({ url: REDIS_URL, prefix }));
    let durable = 0n; // what the durable ledger holds
    const guards = replicas.map((ledger) => createBudgetGuard({ ledger, loadSpent: () => Promise.resolve(durable) }));
    const key = scope('key:a', 1000n);
    const first = await guards[0]!.reserve({ scopes: [key], amountPico: 400n, ttlMs: 60_000 });
    const inFlight = await guards[1]!.reserve({ scopes: [key], amountPico: 400n, ttlMs: 60_000 });
    if (first.status !== 'reserved' || inFlight.status !== 'reserved') throw new Error('expected reservations');
    await replicas[0]!.settle(first.reservation, 300n);
    durable += 300n;
    await dropPrefix(prefix); // Redis restarted empty
    durable += 350n; // the in-flight request finished and reached the ledger
    expect(await replicas[1]!.settle(inFlight.reservation, 350n)).toBe('ignored');
    const after = await Promise.all(guards.map((g) => g.reserve({ scopes: [key], amountPico: 100n, ttlMs: 60_000 })));
    expect(after.map((r) => r.status)).toEqual(['reserved', 'reserved']);
    expect(await replicas[0]!.status(key)).toMatchObject({ spentPico: 650n, reservedPico: 200n, remainingPico: 150n });
    for (const r of replicas) await r.close();
  });
});

describe('scopes and limits of a key', () => {
  const key = {
    id: 'key_1',
    budgets: [
      { limitPico: 5n, period: 'day' },
      { limitPico: 50n, period: 'month' },
    ],
    rpm: 30,
    tpm: null,
  } as unknown as KeyRecord;
  const teams = [
    { id: 'eng', budgets: [{ limitPico: 500n, period: 'month' }], rpm: null, tpm: 100_000 },
    { id: 'org', budgets: [{ limitPico: 5000n, period: 'total' }], rpm: 1000, tpm: null },
  ] as unknown as TeamRecord[];

  it('lists the key, team chain and tag budgets in their windows', () => {
    const at = Date.UTC(2025, 2, 30, 12);
    const scopes = budgetScopes({
      key,
      teams,
      tags: ['batch', 'x', 'batch'],
      tagBudgets: new Map([['batch', [{ limitPico: 7n, period: 'week' }]]]),
      at,
      timeZone: 'Europe/Berlin',
    });
    expect(scopes.map((s) => [s.subject, s.limitPico, s.window.key])).toEqual([
      ['key:key_1', 5n, 'day:2025-03-30@Europe/Berlin'],
      ['key:key_1', 50n, 'month:2025-03@Europe/Berlin'],
      ['team:eng', 500n, 'month:2025-03@Europe/Berlin'],
      ['team:org', 5000n, 'total'],
      ['tag:batch', 7n, 'week:2025-03-24@Europe/Berlin'],
    ]);
  });

  it('lists the rpm and tpm limits of the key and its teams', () => {
    expect(rateLimits({ key, teams })).toEqual([
      { subject: 'key:key_1', kind: 'requests', limit: 30, windowMs: 60_000 },
      { subject: 'team:eng', kind: 'tokens', limit: 100_000, windowMs: 60_000 },
      { subject: 'team:org', kind: 'requests', limit: 1000, windowMs: 60_000 },
    ]);
  });
});
