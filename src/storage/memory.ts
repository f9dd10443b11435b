// In-memory shared state for a single gateway instance. Semantics follow Redis so the Redis
// implementation can be swapped in: a key set with a TTL lives for [set time, set time + ttl);
// set() without a TTL makes the key persistent; incrBy() on an absent key creates it with the TTL
// and leaves an existing key's TTL alone; incrBy() on a non-integer value rejects.
//
// Expired keys are removed when read and by a sweep on an unref'd timer. The map is bounded by
// `maxEntries`: inserting a new key into a full map evicts the key written longest ago.
import { rejection } from '../core/rejection.js';
import type { SharedState } from './types.js';

export interface MemoryStateOptions {
  /** Clock in epoch ms (tests inject one). Default Date.now. */
  now?: () => number;
  /** Most keys held at once (default 100,000). */
  maxEntries?: number;
  /** How often expired keys are swept (default 1,000 ms). */
  sweepIntervalMs?: number;
}

interface Entry {
  value: string;
  /** Epoch ms at which the key stops existing, or null for no expiry. */
  expiresAt: number | null;
}

const INTEGER = /^-?\d+$/;

export function createMemoryState(opts: MemoryStateOptions = {}): SharedState {
  const now = opts.now ?? Date.now;
  const maxEntries = Math.max(1, Math.floor(opts.maxEntries ?? 100_000));
  // Map iteration order is insertion order, so the first key is the one written longest ago.
  const entries = new Map<string, Entry>();
  let closed = false;

  const sweeper = setInterval(sweep, opts.sweepIntervalMs ?? 1_000);
  sweeper.unref();

  function sweep(): void {
    const t = now();
    for (const [key, entry] of entries) {
      if (entry.expiresAt !== null && entry.expiresAt <= t) entries.delete(key);
    }
  }

  function live(key: string): Entry | undefined {
    const entry = entries.get(key);
    if (entry === undefined) return undefined;
    if (entry.expiresAt !== null && entry.expiresAt <= now()) {
      entries.delete(key);
      return undefined;
    }
    return entry;
  }

  /** (Re)inserts the key as the newest, evicting the oldest key if the map is full. */
  function put(key: string, entry: Entry): void {
    entries.delete(key);
    if (entries.size >= maxEntries) {
      const oldest = entries.keys().next();
      if (oldest.done !== true) entries.delete(oldest.value);
    }
    entries.set(key, entry);
  }

  function expiryFor(ttlMs: number | undefined): number | null {
    if (ttlMs === undefined) return null;
    if (typeof ttlMs !== 'number' || !Number.isFinite(ttlMs) || ttlMs <= 0) {
      throw new Error(`costwise: ttlMs must be a positive number of ms, got ${String(ttlMs)}`);
    }
    return now() + ttlMs;
  }

  function checkOpen(): void {
    if (closed) throw new Error('costwise: the shared state is closed');
  }

  return {
    get(key: string): Promise<string | null> {
      try {
        checkOpen();
        return Promise.resolve(live(key)?.value ?? null);
      } catch (err) {
        return rejection(err);
      }
    },

    set(key: string, value: string, ttlMs?: number): Promise<void> {
      try {
        checkOpen();
        put(key, { value, expiresAt: expiryFor(ttlMs) });
        return Promise.resolve();
      } catch (err) {
        return rejection(err);
      }
    },

    incrBy(key: string, delta: number, ttlMs?: number): Promise<number> {
      try {
        checkOpen();
        if (!Number.isSafeInteger(delta)) throw new Error(`costwise: incrBy delta must be a safe integer, got ${delta}`);
        const entry = live(key);
        if (entry === undefined) {
          put(key, { value: String(delta), expiresAt: expiryFor(ttlMs) });
          return Promise.resolve(delta);
        }
        const current = INTEGER.test(entry.value) ? Number(entry.value) : Number.NaN;
        if (!Number.isSafeInteger(current)) throw new Error(`costwise: value of ${key} is not an integer`);
        const next = current + delta;
        if (!Number.isSafeInteger(next)) throw new Error(`costwise: incrBy on ${key} would overflow`);
        entry.value = String(next);
        return Promise.resolve(next);
      } catch (err) {
        return rejection(err);
      }
    },

    delete(key: string): Promise<void> {
      try {
        checkOpen();
        entries.delete(key);
        return Promise.resolve();
      } catch (err) {
        return rejection(err);
      }
    },

    close(): Promise<void> {
      if (closed) return Promise.resolve();
      closed = true;
      clearInterval(sweeper);
      entries.clear();
      return Promise.resolve();
    },
  };
}
