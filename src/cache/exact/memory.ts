// In-memory store (single gateway instance): LRU bounded by bytes, TTL checked on read.
//
// LRU order is the Map's insertion order: a hit moves the key to the end (delete + set), eviction
// takes from the front. Accounted bytes per entry = value bytes as held in memory + key, tenant
// and model characters (×2, V8 may hold them as two-byte strings) + MEMORY_ENTRY_OVERHEAD_BYTES.
// The bound is on that sum and is never exceeded after a set returns.
import { rejection } from '../../core/rejection.js';
import {
  assertFilter,
  valueSize,
  type CacheEntry,
  type CacheStats,
  type CacheValue,
  type InvalidateFilter,
  type NewCacheEntry,
  type ResponseCacheStore,
} from '../types.js';
import { matches } from './filter.js';

/**
 * The V8 heap and backing-store cost of one entry besides its value and strings: the entry
 * object, the slot, the Map entry and, for bytes, the Uint8Array and its ArrayBuffer. Measured on
 * Node 20 x64 (heap + external growth over 100k entries, fresh 64-char keys, shared tenant and
 * model): ~440 bytes beyond the value for a binary value of which ~80 is the key, so ~360;
 * ~270 for a string value (~190 without the key). Rounded up to cover the binary case.
 */
export const MEMORY_ENTRY_OVERHEAD_BYTES = 384;

export interface MemoryStoreOptions {
  /** Upper bound on the accounted bytes of all entries. */
  maxBytes: number;
  /** Clock (epoch ms); injectable for tests and simulation. */
  now?: () => number;
}

/** The memory store also answers synchronously: `peek` is `get` without the promise. */
export interface MemoryCacheStore extends ResponseCacheStore {
  peek(key: string, tenant: string): CacheEntry | undefined;
}

interface Slot {
  entry: CacheEntry;
  cost: number;
}

/** What a value occupies in memory: strings are held as 1 byte per char if Latin-1, else 2. */
function heldBytes(value: CacheValue, size: number): number {
  if (typeof value !== 'string') return size;
  return size === value.length ? size : Math.max(size, value.length * 2);
}

export function memoryCost(entry: CacheEntry): number {
  return heldBytes(entry.value, entry.size) + 2 * (entry.key.length + entry.tenant.length + entry.model.length) + MEMORY_ENTRY_OVERHEAD_BYTES;
}

export function openMemoryStore(opts: MemoryStoreOptions): MemoryCacheStore {
  const maxBytes = opts.maxBytes;
  const now = opts.now ?? Date.now;
  const slots = new Map<string, Slot>();
  let bytes = 0;
  let evictions = 0;
  let closed = false;

  function remove(key: string, slot: Slot): void {
    slots.delete(key);
    bytes -= slot.cost;
  }

  function peek(key: string, tenant: string): CacheEntry | undefined {
    if (closed) throw new Error('cache store is closed');
    const slot = slots.get(key);
    if (slot === undefined || slot.entry.tenant !== tenant) return undefined;
    if (slot.entry.expiresAt <= now()) {
      remove(key, slot);
      return undefined;
    }
    slots.delete(key);
    slots.set(key, slot);
    return slot.entry;
  }

  function set(input: NewCacheEntry): boolean {
    if (closed) throw new Error('cache store is closed');
    const previous = slots.get(input.key);
    if (previous !== undefined) remove(input.key, previous);
    // A private copy: the caller may reuse its buffer, and a view could pin a larger one.
    const value = typeof input.value === 'string' ? input.value : new Uint8Array(input.value);
    const entry: CacheEntry = {
      key: input.key,
      tenant: input.tenant,
      model: input.model,
      createdAt: input.createdAt,
      expiresAt: input.expiresAt,
      value,
      size: valueSize(value),
    };
    const cost = memoryCost(entry);
    if (cost > maxBytes || entry.expiresAt <= now()) return false;
    slots.set(entry.key, { entry, cost });
    bytes += cost;
    if (bytes > maxBytes) evict();
    return true;
  }

  function evict(): void {
    const t = now();
    for (const [key, slot] of slots) {
      if (bytes <= maxBytes) return;
      remove(key, slot);
      if (slot.entry.expiresAt > t) evictions += 1;
    }
  }

  function removeWhere(test: (entry: CacheEntry, t: number) => boolean): number {
    const t = now();
    let removed = 0;
    for (const [key, slot] of slots) {
      if (!test(slot.entry, t)) continue;
      remove(key, slot);
      removed += 1;
    }
    return removed;
  }

  const sweep = (): number => removeWhere((e, t) => e.expiresAt <= t);

  return {
    peek,
    get(key, tenant) {
      try {
        return Promise.resolve(peek(key, tenant));
      } catch (err) {
        return rejection(err);
      }
    },
    set(entry) {
      try {
        return Promise.resolve(set(entry));
      } catch (err) {
        return rejection(err);
      }
    },
    invalidate(filter: InvalidateFilter) {
      try {
        assertFilter(filter);
        if (closed) throw new Error('cache store is closed');
        sweep();
        return Promise.resolve(removeWhere((e, t) => matches(e, filter, t)));
      } catch (err) {
        return rejection(err);
      }
    },
    sweep() {
      try {
        if (closed) throw new Error('cache store is closed');
        return Promise.resolve(sweep());
      } catch (err) {
        return rejection(err);
      }
    },
    stats(): Promise<CacheStats> {
      try {
        if (closed) throw new Error('cache store is closed');
        sweep();
        return Promise.resolve({ entries: slots.size, bytes, maxBytes, evictions });
      } catch (err) {
        return rejection(err);
      }
    },
    close() {
      closed = true;
      slots.clear();
      bytes = 0;
      return Promise.resolve();
    },
  };
}
