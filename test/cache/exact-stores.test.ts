// The exact-cache store contract, run over every backend (memory, SQLite, Redis), and the Redis
// multi-replica behaviour. Each backend behind one factory shape:
// Memory and SQLite get an injected clock; Redis runs on real time (short real TTLs), so `advance`
// sleeps there.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import { openMemoryStore } from '../../src/cache/exact/memory.js';
import { openSqliteCache } from '../../src/cache/exact/sqlite.js';
import { openRedisCache } from '../../src/cache/exact/redis.js';
import type { NewCacheEntry, ResponseCacheStore } from '../../src/cache/types.js';

const REDIS_URL = process.env.COSTWISE_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

interface Clock {
  now: () => number;
  advance(ms: number): Promise<void>;
}

interface Opened {
  store: ResponseCacheStore;
  clock: Clock;
  /** Closes the store and removes what it left behind. */
  dispose(): Promise<void>;
}

interface Backend {
  name: string;
  /** Has a byte bound with eviction. */
  bounded: boolean;
  open(opts?: { maxBytes?: number }): Opened;
}

function fakeClock(): Clock {
  let t = 1_700_000_000_000;
  return {
    now: () => t,
    advance: (ms) => {
      t += ms;
      return Promise.resolve();
    },
  };
}

const realClock: Clock = {
  now: () => Date.now(),
  advance: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
};

const memoryBackend: Backend = {
  name: 'memory',
  bounded: true,
  open(opts = {}) {
    const clock = fakeClock();
    const store = openMemoryStore({ maxBytes: opts.maxBytes ?? 64 * 1024 * 1024, now: clock.now });
    return { clock, store, dispose: () => store.close() };
  },
};

const sqliteBackend: Backend = {
  name: 'sqlite',
  bounded: true,
  open(opts = {}) {
    const clock = fakeClock();
    const dir = mkdtempSync(join(tmpdir(), 'costwise-cache-'));
    const store = openSqliteCache({
      path: join(dir, 'cache.db'),
      maxBytes: opts.maxBytes ?? 64 * 1024 * 1024,
      now: clock.now,
      accessResolutionMs: 0,
      sweepIntervalMs: 0,
    });
    return {
      clock,
      store,
      dispose: async () => {
        await store.close();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  },
};

/** A fresh prefix per store, so tests never see each other's keys. */
function testPrefix(): string {
  return `costwise:test:${randomBytes(6).toString('hex')}:`;
}

const redisBackend: Backend = {
  name: 'redis',
  bounded: false,
  open() {
    const prefix = testPrefix();
    const store = openRedisCache({ url: REDIS_URL, prefix, sweepIntervalMs: 0 });
    return {
      clock: realClock,
      store,
      dispose: async () => {
        await store.close();
        await dropPrefix(prefix);
      },
    };
  },
};

/**
 * Whether Redis answers. With CI=true a missing Redis is a failure, never a silent skip; locally
 * the Redis tests are skipped with a message.
 */
async function redisAvailable(): Promise<boolean> {
  const probe = new Redis(REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null, connectTimeout: 1000 });
  probe.on('error', () => {});
  try {
    await probe.connect();
    await probe.ping();
    return true;
  } catch (err) {
    if (process.env.CI === 'true') throw new Error(`Redis is required when CI=true (${REDIS_URL}): ${(err as Error).message}`, { cause: err });
    process.stderr.write(`\n[exact cache tests] Redis at ${REDIS_URL} is down: Redis tests SKIPPED\n`);
    return false;
  } finally {
    probe.disconnect();
  }
}

/** Deletes every key under `prefix` (test cleanup). */
async function dropPrefix(prefix: string): Promise<void> {
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

const HAS_REDIS = await redisAvailable();
const BACKENDS = [memoryBackend, sqliteBackend, ...(HAS_REDIS ? [redisBackend] : [])];

const TTL = 100; // ms: real for Redis, simulated elsewhere

let opened: Opened[] = [];
afterEach(async () => {
  await Promise.all(opened.map((o) => o.dispose()));
  opened = [];
});

function entry(clock: Clock, over: Partial<NewCacheEntry> = {}): NewCacheEntry {
  const t = clock.now();
  return { key: 'k'.repeat(64), tenant: 'acme', model: 'gpt-4.1-mini', createdAt: t, expiresAt: t + 60_000, value: '{"id":"r1"}', ...over };
}

describe.each(BACKENDS)('$name exact-cache store', (backend) => {
  const open = (opts?: { maxBytes?: number }): Opened => {
    const o = backend.open(opts);
    opened.push(o);
    return o;
  };

  it('returns what was set, with its size, and misses unknown keys', async () => {
    const { store, clock } = open();
    const e = entry(clock, { value: 'héllo' });
    expect(await store.set(e)).toBe(true);
    expect(await store.get(e.key, 'acme')).toEqual({ ...e, size: 6 });
    expect(await store.get('0'.repeat(64), 'acme')).toBeUndefined();
  });

  it('expires entries at expiresAt and does not store already-expired ones', async () => {
    const { store, clock } = open();
    const e = entry(clock, { expiresAt: clock.now() + TTL });
    await store.set(e);
    expect(await store.get(e.key, 'acme')).toBeDefined();
    await clock.advance(TTL + 50);
    expect(await store.get(e.key, 'acme')).toBeUndefined();
    expect((await store.stats()).entries).toBe(0);
    expect(await store.set(entry(clock, { key: 'b'.repeat(64), expiresAt: clock.now() - 1 }))).toBe(false);
    expect(await store.get('b'.repeat(64), 'acme')).toBeUndefined();
  });

  it('never returns an entry to another tenant', async () => {
    const { store, clock } = open();
    const e = entry(clock);
    await store.set(e);
    expect(await store.get(e.key, 'other')).toBeUndefined();
    expect(await store.get(e.key, 'acme')).toBeDefined();
  });

  it('overwrites an existing key, accounting only the new value', async () => {
    const { store, clock } = open();
    await store.set(entry(clock, { value: 'x'.repeat(1000) }));
    const before = await store.stats();
    await store.set(entry(clock, { value: 'second' }));
    expect((await store.get('k'.repeat(64), 'acme'))?.value).toBe('second');
    const after = await store.stats();
    expect(after.entries).toBe(1);
    expect(before.bytes - after.bytes).toBe(1000 - 'second'.length);
    // the indexes follow the overwrite too
    await store.set(entry(clock, { value: 'third', model: 'claude-haiku-4-5' }));
    expect(await store.invalidate({ model: 'gpt-4.1-mini' })).toBe(0);
    expect(await store.invalidate({ model: 'claude-haiku-4-5' })).toBe(1);
  });

  it('keeps values binary-safe and keeps strings strings', async () => {
    const { store, clock } = open();
    const bytes = new Uint8Array(512).map((_, i) => i % 256);
    const text = 'nul\u0000 tab\t emoji 🚀 ünï \ud7ff';
    await store.set(entry(clock, { key: 'a'.repeat(64), value: bytes }));
    await store.set(entry(clock, { key: 'b'.repeat(64), value: text }));
    bytes[0] = 99; // the store must not share the caller's buffer
    const a = await store.get('a'.repeat(64), 'acme');
    const b = await store.get('b'.repeat(64), 'acme');
    expect(a?.value).toBeInstanceOf(Uint8Array);
    expect(Array.from(a!.value as Uint8Array)).toEqual(Array.from({ length: 512 }, (_, i) => i % 256));
    expect(a?.size).toBe(512);
    expect(b?.value).toBe(text);
    expect(b?.size).toBe(Buffer.byteLength(text));
  });

  it('invalidates by key, tenant, model, age and their combination, counting live entries only', async () => {
    const { store, clock } = open();
    const t = clock.now();
    const put = (key: string, tenant: string, model: string, createdAt = t) => store.set(entry(clock, { key: key.repeat(64), tenant, model, createdAt }));
    await put('1', 'acme', 'm1', t - 10_000);
    await put('2', 'acme', 'm2');
    await put('3', 'beta', 'm1');
    await put('4', 'beta', 'm2', t - 10_000);
    await put('5', 'beta', 'm2');
    await store.set(entry(clock, { key: '6'.repeat(64), tenant: 'acme', expiresAt: clock.now() + TTL }));
    await clock.advance(TTL + 50);
    const alive = async () => {
      const keys = ['1', '2', '3', '4', '5', '6'];
      const tenants = ['acme', 'acme', 'beta', 'beta', 'beta', 'acme'];
      const hits = await Promise.all(keys.map((k, i) => store.get(k.repeat(64), tenants[i]!)));
      return keys.filter((_, i) => hits[i] !== undefined);
    };

    expect(await store.invalidate({ key: '2'.repeat(64) })).toBe(1);
    expect(await store.invalidate({ key: '2'.repeat(64) })).toBe(0);
    expect(await alive()).toEqual(['1', '3', '4', '5']);
    expect(await store.invalidate({ olderThanMs: 5_000 })).toBe(2); // 1 and 4
    expect(await alive()).toEqual(['3', '5']);
    expect(await store.invalidate({ tenant: 'beta', model: 'm1' })).toBe(1);
    expect(await alive()).toEqual(['5']);
    expect(await store.invalidate({ tenant: 'acme' })).toBe(0); // 6 had expired: not counted
    expect(await store.invalidate({ model: 'm2' })).toBe(1);
    expect(await alive()).toEqual([]);
    expect((await store.stats()).entries).toBe(0);
    await expect(store.invalidate({})).rejects.toThrow(/empty filter/);
  });

  it('clears everything with olderThanMs 0', async () => {
    const { store, clock } = open();
    await store.set(entry(clock, { key: 'a'.repeat(64), createdAt: clock.now() - 1 }));
    await store.set(entry(clock, { key: 'b'.repeat(64), tenant: 'beta', createdAt: clock.now() - 1 }));
    expect(await store.invalidate({ olderThanMs: 0 })).toBe(2);
    expect((await store.stats()).entries).toBe(0);
  });

  it('reports entries and bytes', async () => {
    const { store, clock } = open();
    const empty = await store.stats();
    expect(empty).toMatchObject({ entries: 0, bytes: 0, evictions: 0 });
    await store.set(entry(clock, { key: 'a'.repeat(64), value: 'x'.repeat(100) }));
    const one = await store.stats();
    await store.set(entry(clock, { key: 'b'.repeat(64), value: 'x'.repeat(100) }));
    const two = await store.stats();
    expect(one.entries).toBe(1);
    expect(two.entries).toBe(2);
    expect(one.bytes).toBeGreaterThanOrEqual(100);
    expect(two.bytes).toBe(2 * one.bytes);
  });

  it('rejects calls after close', async () => {
    const { store, clock } = open();
    await store.set(entry(clock));
    await store.close();
    await expect(store.get('k'.repeat(64), 'acme')).rejects.toThrow();
    await expect(store.set(entry(clock))).rejects.toThrow();
  });
});

describe.each(BACKENDS.filter((b) => b.bounded))('$name exact-cache store under a byte bound', (backend) => {
  const open = (opts?: { maxBytes?: number }): Opened => {
    const o = backend.open(opts);
    opened.push(o);
    return o;
  };

  it('evicts the least recently used entries to stay within maxBytes', async () => {
    const probe = open();
    await probe.store.set(entry(probe.clock, { value: 'x'.repeat(1000) }));
    const perEntry = (await probe.store.stats()).bytes;
    const maxBytes = Math.floor(perEntry * 3.5);
    const { store, clock } = open({ maxBytes });
    const key = (i: number) => String(i).repeat(64);
    for (let i = 1; i <= 3; i++) {
      await store.set(entry(clock, { key: key(i), value: 'x'.repeat(1000) }));
      await clock.advance(1);
    }
    expect(await store.get(key(1), 'acme')).toBeDefined(); // 1 is now the most recently used
    await clock.advance(1);
    for (let i = 4; i <= 5; i++) {
      await store.set(entry(clock, { key: key(i), value: 'x'.repeat(1000) }));
      await clock.advance(1);
      expect((await store.stats()).bytes).toBeLessThanOrEqual(maxBytes);
    }
    const present = [];
    for (let i = 1; i <= 5; i++) if (await store.get(key(i), 'acme')) present.push(i);
    expect(present).toEqual([1, 4, 5]);
    const stats = await store.stats();
    expect(stats).toMatchObject({ entries: 3, evictions: 2, maxBytes });
    expect(await store.set(entry(clock, { key: key(6), value: 'x'.repeat(maxBytes) }))).toBe(false);
    expect((await store.stats()).entries).toBe(3);
  });
});

describe.runIf(HAS_REDIS)('redis store shared by replicas', () => {
  it('lets two instances on one prefix see each other’s entries and invalidations', async () => {
    const prefix = testPrefix();
    const a = openRedisCache({ url: REDIS_URL, prefix, sweepIntervalMs: 0 });
    const b = openRedisCache({ url: REDIS_URL, prefix, sweepIntervalMs: 0 });
    opened.push(
      { store: a, clock: realClock, dispose: () => a.close() },
      {
        store: b,
        clock: realClock,
        dispose: async () => {
          await b.close();
          await dropPrefix(prefix);
        },
      },
    );
    const t = Date.now();
    const e = (key: string, tenant: string, model: string): NewCacheEntry => ({
      key: key.repeat(64),
      tenant,
      model,
      createdAt: t,
      expiresAt: t + 60_000,
      value: `from ${key}`,
    });
    await a.set(e('1', 'acme', 'm1'));
    await a.set(e('2', 'acme', 'm2'));
    await b.set(e('3', 'beta', 'm1'));
    expect((await b.get('1'.repeat(64), 'acme'))?.value).toBe('from 1');
    expect((await a.get('3'.repeat(64), 'beta'))?.value).toBe('from 3');
    expect(await b.invalidate({ tenant: 'acme', model: 'm1' })).toBe(1);
    expect(await a.get('1'.repeat(64), 'acme')).toBeUndefined();
    expect(await a.invalidate({ model: 'm1' })).toBe(1);
    expect(await b.get('3'.repeat(64), 'beta')).toBeUndefined();
    expect(await b.get('2'.repeat(64), 'acme')).toBeDefined();
    expect(await a.stats()).toMatchObject({ entries: 1 });
  });

  it('cleans the indexes of entries Redis expired', async () => {
    const prefix = testPrefix();
    const store = openRedisCache({ url: REDIS_URL, prefix, sweepIntervalMs: 0 });
    opened.push({
      store,
      clock: realClock,
      dispose: async () => {
        await store.close();
        await dropPrefix(prefix);
      },
    });
    const t = Date.now();
    await store.set({ key: 'e'.repeat(64), tenant: 'acme', model: 'm', createdAt: t, expiresAt: t + 60, value: 'v' });
    await new Promise((r) => setTimeout(r, 120));
    expect(await store.sweep()).toBe(1);
    const raw = new Redis(REDIS_URL);
    try {
      const left = await raw.keys(`${prefix}*`);
      expect(left.filter((k) => !k.endsWith('bytes'))).toEqual([]);
      expect(await raw.get(`${prefix}bytes`)).toBe('0');
    } finally {
      await raw.quit();
    }
  });
});
