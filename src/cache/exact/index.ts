// The exact response cache: the canonical key, the stores and the stampede guard.
export { cacheKey, cacheKeyText, isDeterministic, KEY_VERSION, type CacheScope } from './key.js';
export { openMemoryStore, MEMORY_ENTRY_OVERHEAD_BYTES, type MemoryCacheStore, type MemoryStoreOptions } from './memory.js';
export { openSqliteCache, SQLITE_ROW_OVERHEAD_BYTES, type SqliteCacheOptions } from './sqlite.js';
export { configureCache, migrateCache } from './sqlite-schema.js';
export { openRedisCache, type RedisCacheOptions } from './redis.js';
export { singleFlight, type SingleFlight } from './single-flight.js';
export type { CacheEntry, CacheStats, CacheValue, InvalidateFilter, NewCacheEntry, ResponseCacheStore } from '../types.js';
