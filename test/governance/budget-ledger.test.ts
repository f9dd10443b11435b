// The budget ledger contract, run over the in-process and the Redis ledger: seeding, atomic
// reserve over several scopes, settle/release, lapse of abandoned reservations, exact money
// beyond 2^53 pico. Memory runs on an injected clock; Redis on real time (short ttls).
import { afterEach, describe, expect, it } from 'vitest';
import { createMemoryBudgetLedger } from '../../src/governance/budget-memory.js';
import { createRedisBudgetLedger } from '../../src/governance/budget-redis.js';
import type { BudgetLedger, BudgetLedgerOptions, BudgetScope, Reservation } from '../../src/governance/budget-types.js';
import { fakeClock, realClock, redisAvailable, dropPrefix, REDIS_URL, scope, uniquePrefix, type Clock } from './helpers.js';

interface Opened {
  ledger: BudgetLedger;
  clock: Clock;
  dispose(): Promise<void>;
}

interface Backend {
  name: string;
  open(opts?: BudgetLedgerOptions): Opened;
}

const memory: Backend = {
  name: 'memory',
  open(opts = {}) {
    const clock = fakeClock();
    const ledger = createMemoryBudgetLedger({ ...opts, now: clock.now });
    return { ledger, clock, dispose: () => ledger.close() };
  },
};

const redis: Backend = {
  name: 'redis',
  open(opts = {}) {
    const prefix = uniquePrefix('budget');
    const ledger = createRedisBudgetLedger({ ...opts, url: REDIS_URL, prefix });
    return {
      ledger,
      clock: realClock,
      dispose: async () => {
        await ledger.close();
        await dropPrefix(prefix);
      },
    };
  },
};

const HAS_REDIS = await redisAvailable('budget ledger tests');
const open: Opened[] = [];
afterEach(async () => {
  for (const o of open.splice(0)) await o.dispose();
});

describe.each([memory, ...(HAS_REDIS ? [redis] : [])])('budget ledger: $name', (backend) => {
  function start(opts?: BudgetLedgerOptions): Opened {
    const o = backend.open(opts);
    open.push(o);
    return o;
  }

  async function seeded(ledger: BudgetLedger, ...scopes: BudgetScope[]): Promise<void> {
    for (const s of scopes) expect(await ledger.seed({ scope: s, spentPico: 0n })).toBe('seeded');
  }

  function reserved(result: Awaited<ReturnType<BudgetLedger['reserve']>>): Reservation {
    if (result.status !== 'reserved')
      throw new Error(`expected a reservation, got ${JSON.stringify(result, (_k, v: unknown) => (typeof v === 'bigint' ? `${v}n` : v))}`);
    return result.reservation;
  }

  it('answers unseeded until a counter is seeded; seeding is once only', async () => {
    const { ledger } = start();
    const key = scope('key:a', 1000n);
    const team = scope('team:t', 1000n);
    await ledger.seed({ scope: team, spentPico: 0n });
    const first = await ledger.reserve({ scopes: [key, team], amountPico: 10n, ttlMs: 60_000 });
    expect(first).toMatchObject({ status: 'unseeded', scopes: [key] });
    expect(await ledger.seed({ scope: key, spentPico: 700n })).toBe('seeded');
    expect(await ledger.seed({ scope: key, spentPico: 5n })).toBe('already');
    expect(await ledger.status(key)).toMatchObject({ spentPico: 700n, reservedPico: 0n, remainingPico: 300n, seeded: true });
    reserved(await ledger.reserve({ scopes: [key, team], amountPico: 300n, ttlMs: 60_000 }));
    expect(await ledger.reserve({ scopes: [key, team], amountPico: 1n, ttlMs: 60_000 })).toMatchObject({ status: 'exceeded', scope: key, remainingPico: 0n });
  });

  it('reserves on every scope or on none, naming the scope that did not fit', async () => {
    const { ledger } = start();
    const key = scope('key:a', 1000n);
    const team = scope('team:t', 500n, 'month');
    const tag = scope('tag:x', 10_000n, 'total');
    await seeded(ledger, key, team, tag);
    reserved(await ledger.reserve({ scopes: [key, team, tag], amountPico: 400n, ttlMs: 60_000 }));
    const refused = await ledger.reserve({ scopes: [key, team, tag], amountPico: 101n, ttlMs: 60_000 });
    expect(refused).toEqual({ status: 'exceeded', scope: team, remainingPico: 100n });
    // Nothing of the refused reservation stuck to the scopes before or after the team.
    expect((await ledger.status(key)).reservedPico).toBe(400n);
    expect((await ledger.status(tag)).reservedPico).toBe(400n);
    reserved(await ledger.reserve({ scopes: [key, team, tag], amountPico: 100n, ttlMs: 60_000 }));
    expect(await ledger.status(team)).toMatchObject({
      spentPico: 0n,
      reservedPico: 500n,
      remainingPico: 0n,
      limitPico: 500n,
      periodStart: team.window.start,
      periodEnd: team.window.end,
    });
  });

  it('settles the actual cost, even above the reservation, and releases', async () => {
    const { ledger } = start();
    const key = scope('key:a', 1000n);
    await seeded(ledger, key);
    const a = reserved(await ledger.reserve({ scopes: [key], amountPico: 300n, ttlMs: 60_000 }));
    const b = reserved(await ledger.reserve({ scopes: [key], amountPico: 300n, ttlMs: 60_000 }));
    expect(await ledger.settle(a, 320n)).toBe('settled');
    expect(await ledger.status(key)).toMatchObject({ spentPico: 320n, reservedPico: 300n, remainingPico: 380n });
    expect(await ledger.release(b)).toBe('released');
    expect(await ledger.status(key)).toMatchObject({ spentPico: 320n, reservedPico: 0n, remainingPico: 680n });
    // Once only.
    expect(await ledger.settle(a, 320n)).toBe('ignored');
    expect(await ledger.settle(b, 1n)).toBe('ignored');
    expect(await ledger.release(a)).toBe('ignored');
    expect((await ledger.status(key)).spentPico).toBe(320n);
  });

  it('refuses, then fits exactly to the last pico', async () => {
    const { ledger } = start();
    const key = scope('key:a', 1_000n);
    await ledger.seed({ scope: key, spentPico: 999n });
    expect(await ledger.reserve({ scopes: [key], amountPico: 2n, ttlMs: 1000 })).toMatchObject({ status: 'exceeded', remainingPico: 1n });
    reserved(await ledger.reserve({ scopes: [key], amountPico: 1n, ttlMs: 1000 }));
    reserved(await ledger.reserve({ scopes: [key], amountPico: 0n, ttlMs: 1000 }));
  });

  it('releases an abandoned reservation after its ttl; a late settle still records its spend', async () => {
    const { ledger, clock } = start();
    const key = scope('key:a', 1000n);
    await seeded(ledger, key);
    const abandoned = reserved(await ledger.reserve({ scopes: [key], amountPico: 800n, ttlMs: 300 }));
    const lost = reserved(await ledger.reserve({ scopes: [key], amountPico: 200n, ttlMs: 300 }));
    expect(await ledger.reserve({ scopes: [key], amountPico: 100n, ttlMs: 300 })).toMatchObject({ status: 'exceeded', remainingPico: 0n });
    await clock.advance(400);
    expect(await ledger.status(key)).toMatchObject({ reservedPico: 0n, remainingPico: 1000n });
    const next = reserved(await ledger.reserve({ scopes: [key], amountPico: 900n, ttlMs: 60_000 }));
    expect(await ledger.settle(abandoned, 50n)).toBe('late');
    expect(await ledger.release(lost)).toBe('expired');
    expect(await ledger.settle(lost, 50n)).toBe('ignored');
    expect(await ledger.status(key)).toMatchObject({ spentPico: 50n, reservedPico: 900n, remainingPico: 50n });
    expect(await ledger.settle(next, 900n)).toBe('settled');
  });

  it('forgets lapsed reservations after the late-settle window', async () => {
    const { ledger, clock } = start({ lateSettleWindowMs: 200 });
    const key = scope('key:a', 1000n);
    await seeded(ledger, key);
    const r = reserved(await ledger.reserve({ scopes: [key], amountPico: 10n, ttlMs: 100 }));
    await clock.advance(150);
    await ledger.status(key);
    await clock.advance(300);
    expect(await ledger.settle(r, 10n)).toBe('ignored');
    expect((await ledger.status(key)).spentPico).toBe(0n);
  });

  it('charges spend without a reservation, once per id, skipping unseeded counters', async () => {
    const { ledger } = start();
    const key = scope('key:a', 1000n);
    const team = scope('team:t', 1000n);
    await seeded(ledger, key);
    expect(await ledger.charge({ id: 'req-1', scopes: [key, team], amountPico: 1200n })).toBe('charged');
    await ledger.seed({ scope: team, spentPico: 1200n }); // the durable ledger has req-1
    // A retry (a reply lost in flight) counts on neither, the newly seeded team included.
    expect(await ledger.charge({ id: 'req-1', scopes: [key, team], amountPico: 1200n })).toBe('duplicate');
    expect(await ledger.status(key)).toMatchObject({ spentPico: 1200n, remainingPico: 0n });
    expect((await ledger.status(team)).spentPico).toBe(1200n);
    expect(await ledger.charge({ id: 'req-2', scopes: [team], amountPico: 1n })).toBe('charged');
    expect((await ledger.status(team)).spentPico).toBe(1201n);
    expect(await ledger.reserve({ scopes: [key], amountPico: 1n, ttlMs: 1000 })).toMatchObject({ status: 'exceeded', remainingPico: 0n });
  });

  it('makes a charge with the id of a request settled under it a duplicate (a restart charging the spool)', async () => {
    const { ledger } = start();
    const key = scope('key:a', 1000n);
    await seeded(ledger, key);
    const settled = reserved(await ledger.reserve({ scopes: [key], amountPico: 300n, ttlMs: 60_000, chargeId: 'req-s' }));
    expect(settled.chargeId).toBe('req-s');
    expect(await ledger.settle(settled, 120n)).toBe('settled');
    expect(await ledger.charge({ id: 'req-s', scopes: [key], amountPico: 120n })).toBe('duplicate');
    // Answered, never settled: the charge counts, and the reservation left open lapses on its own.
    const open = reserved(await ledger.reserve({ scopes: [key], amountPico: 300n, ttlMs: 60_000, chargeId: 'req-u' }));
    expect(open.chargeId).toBe('req-u');
    expect(await ledger.charge({ id: 'req-u', scopes: [key], amountPico: 80n })).toBe('charged');
    expect(await ledger.status(key)).toMatchObject({ spentPico: 200n, reservedPico: 300n });
    // Released (nothing billed): no marker, a later charge of that id counts.
    const released = reserved(await ledger.reserve({ scopes: [key], amountPico: 10n, ttlMs: 60_000, chargeId: 'req-r' }));
    expect(await ledger.release(released)).toBe('released');
    expect(await ledger.charge({ id: 'req-r', scopes: [key], amountPico: 1n })).toBe('charged');
    expect((await ledger.status(key)).spentPico).toBe(201n);
  });

  it('keeps money exact far beyond 2^53 pico', async () => {
    const { ledger } = start();
    const limit = 3_999_999_999_999_999_999n;
    const key = scope('key:big', limit, 'month');
    const team = scope('team:big', limit, 'total');
    const base = 2n ** 61n + 12_345n; // ≈ $2.3M
    await ledger.seed({ scope: key, spentPico: base });
    await ledger.seed({ scope: team, spentPico: base });
    const step = 2n ** 53n + 1n; // one more than a double can count by
    const held: Reservation[] = [];
    for (let i = 0; i < 10; i++) held.push(reserved(await ledger.reserve({ scopes: [key, team], amountPico: step, ttlMs: 60_000 })));
    expect(await ledger.status(key)).toMatchObject({ spentPico: base, reservedPico: 10n * step });
    for (const [i, r] of held.entries()) expect(await ledger.settle(r, step + BigInt(i))).toBe('settled');
    const spent = base + 10n * step + 45n;
    expect(await ledger.status(team)).toMatchObject({ spentPico: spent, reservedPico: 0n, remainingPico: limit - spent });
    // The exact remainder fits; one pico more does not.
    const left = limit - spent;
    expect(await ledger.reserve({ scopes: [key, team], amountPico: left + 1n, ttlMs: 60_000 })).toEqual({
      status: 'exceeded',
      scope: key,
      remainingPico: left,
    });
    const last = reserved(await ledger.reserve({ scopes: [key, team], amountPico: left, ttlMs: 60_000 }));
    expect(await ledger.status(key)).toMatchObject({ remainingPico: 0n, reservedPico: left });
    await ledger.settle(last, left);
    expect((await ledger.status(key)).spentPico).toBe(limit);
  });

  it('keeps separate counters per period window and per period', async () => {
    const { ledger } = start();
    const day1 = scope('key:a', 100n, 'day', Date.UTC(2025, 0, 1, 12));
    const day2 = scope('key:a', 100n, 'day', Date.UTC(2025, 0, 2, 12));
    const month = scope('key:a', 150n, 'month', Date.UTC(2025, 0, 1, 12));
    await seeded(ledger, day1, day2, month);
    reserved(await ledger.reserve({ scopes: [day1, month], amountPico: 100n, ttlMs: 60_000 }));
    expect(await ledger.reserve({ scopes: [day2, month], amountPico: 100n, ttlMs: 60_000 })).toMatchObject({
      status: 'exceeded',
      scope: month,
      remainingPico: 50n,
    });
    reserved(await ledger.reserve({ scopes: [day2, month], amountPico: 50n, ttlMs: 60_000 }));
  });

  it('reserves trivially with no scopes, and rejects malformed requests', async () => {
    const { ledger } = start();
    const none = reserved(await ledger.reserve({ scopes: [], amountPico: 5n, ttlMs: 1000 }));
    expect(await ledger.settle(none, 5n)).toBe('settled');
    expect(await ledger.release(reserved(await ledger.reserve({ scopes: [], amountPico: 5n, ttlMs: 1000 })))).toBe('released');
    expect(await ledger.charge({ id: 'c', scopes: [], amountPico: 5n })).toBe('charged');
    const key = scope('key:a', 100n);
    await expect(ledger.reserve({ scopes: [key], amountPico: -1n, ttlMs: 1000 })).rejects.toThrow(/amountPico/);
    await expect(ledger.reserve({ scopes: [key], amountPico: 1.5, ttlMs: 1000 })).rejects.toThrow(/amountPico/);
    await expect(ledger.reserve({ scopes: [key, key], amountPico: 1n, ttlMs: 1000 })).rejects.toThrow(/share/);
    await expect(ledger.reserve({ scopes: [key], amountPico: 1n, ttlMs: 0 })).rejects.toThrow(/ttlMs/);
  });

  it('status of a counter never used', async () => {
    const { ledger } = start();
    expect(await ledger.status(scope('key:none', 5n))).toMatchObject({ spentPico: 0n, reservedPico: 0n, remainingPico: 5n, seeded: false });
  });
});

describe.runIf(HAS_REDIS)('redis budget ledger failures', () => {
  it('answers unavailable when Redis cannot be reached, and queues settles for retry', async () => {
    const lost: string[] = [];
    const ledger = createRedisBudgetLedger({ url: 'redis://127.0.0.1:1', commandTimeoutMs: 200, retryHorizonMs: 0, onLost: (what) => lost.push(what) });
    const key = scope('key:a', 100n);
    const result = await ledger.reserve({ scopes: [key], amountPico: 1n, ttlMs: 1000 });
    expect(result.status).toBe('unavailable');
    const fake: Reservation = { id: 'r', amountPico: 1n, counters: ['key:a|x'], expiresAt: 0 };
    expect(await ledger.settle(fake, 1n)).toBe('queued');
    await ledger.close();
    expect(lost).toEqual(['settle of r']);
  });
});
