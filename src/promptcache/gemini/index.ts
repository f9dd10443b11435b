// Gemini explicit context caching: the manager the Gemini adapter uses (see ./manager.ts).
export { GeminiContextCache, DEFAULT_CONTEXT_CACHE_OPTIONS } from './manager.js';
export type { ContextCacheOptions, ContextCacheSnapshot, PreparedRequest, StorageCharge } from './manager.js';
export { httpContextCacheApi, type ContextCacheApi, type CachedContentInfo } from './api.js';
export { judge, breakEvenReads, storagePico, type CacheEconomics } from './decide.js';
export { STORAGE_USD_PER_MTOK_HOUR, MIN_CACHE_TOKENS, minCacheTokens, storagePicoPerTokenHour } from './rules.js';
export { createContextCaches, type ContextCachingOptions, type ContextCaches } from './accounts.js';
