// The response-cache backend the config names.
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Config } from '../config/schema.js';
import { openMemoryStore, openRedisCache, openSqliteCache } from './exact/index.js';
import type { ResponseCacheStore } from './types.js';

/** `now`: the clock of entry ages and TTLs (wall time by default; a replay's simulated clock). */
export function openResponseCacheStore(config: Config['cache'], now: () => number = Date.now): ResponseCacheStore {
  switch (config.backend) {
    case 'memory':
      return openMemoryStore({ maxBytes: config.maxBytes, now });
    case 'sqlite':
      if (config.sqlitePath !== ':memory:') mkdirSync(dirname(config.sqlitePath), { recursive: true });
      return openSqliteCache({ path: config.sqlitePath, maxBytes: config.maxBytes, now });
    case 'redis':
      return openRedisCache({ url: config.redisUrl, prefix: config.redisPrefix, now });
  }
}
