// The response-cache store boundary: one interface, three backends (exact/memory.ts, sqlite.ts,
// redis.ts), one contract suite (test/cache/exact-contract.test.ts).

/** An opaque serialized response; the store keeps strings as strings and bytes as bytes. */
export type CacheValue = Uint8Array | string;

export interface CacheEntry {
  /** From `cacheKey` (exact/key.ts). */
  key: string;
  tenant: string;
  /** The model or tier the caller asked for (the key scope), for invalidation by model. */
  model: string;
  /** Epoch ms. */
  createdAt: number;
  /** Epoch ms; at or after this instant the entry is gone. */
  expiresAt: number;
  value: CacheValue;
  /** Bytes of `value` (UTF-8 for a string). Filled in by the store. */
  size: number;
}

export type NewCacheEntry = Omit<CacheEntry, 'size'>;

/** Criteria are ANDed; at least one is required (`{ olderThanMs: 0 }` clears everything). */
export interface InvalidateFilter {
  key?: string;
  tenant?: string;
  model?: string;
  /** Entries created more than this many ms ago. */
  olderThanMs?: number;
}

export interface CacheStats {
  /** Live entries (expired ones are swept first). */
  entries: number;
  /** What counts against `maxBytes`; see each backend for what it includes. */
  bytes: number;
  maxBytes?: number;
  /** Entries removed to stay within `maxBytes` (not expiries, not invalidations). */
  evictions: number;
}

export interface ResponseCacheStore {
  /**
   * The live entry stored under `key` for `tenant`, else undefined. An entry of another tenant is
   * never returned (the tenant is also hashed into the key; this is the second wall). Expired
   * entries are removed. The returned object may be the store's own: do not mutate it.
   */
  get(key: string, tenant: string): Promise<CacheEntry | undefined>;
  /**
   * Stores (or replaces) an entry. Resolves false when it was not stored: already expired, or
   * larger than the store's byte bound.
   */
  set(entry: NewCacheEntry): Promise<boolean>;
  /** Removes the matching live entries; resolves to how many. */
  invalidate(filter: InvalidateFilter): Promise<number>;
  /** Removes expired entries now (stores also do it lazily); resolves to how many. */
  sweep(): Promise<number>;
  stats(): Promise<CacheStats>;
  /** Releases connections and timers; further calls reject. */
  close(): Promise<void>;
}

export function assertFilter(filter: InvalidateFilter): void {
  if (filter.key === undefined && filter.tenant === undefined && filter.model === undefined && filter.olderThanMs === undefined) {
    throw new Error('cache invalidate: empty filter (pass { olderThanMs: 0 } to clear everything)');
  }
}

export function valueSize(value: CacheValue): number {
  return typeof value === 'string' ? Buffer.byteLength(value, 'utf8') : value.byteLength;
}
