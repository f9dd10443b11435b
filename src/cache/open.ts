// The response-cache backend the config names.
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Config } from '../config/schema.js';
import { openMemoryStore, openRedisCache, openSqliteCache } from './exact/index.js';
import type { ResponseCacheStore } from './types.js';

export function openResponseCacheStore(config: Config['cache']): ResponseCacheStore {
  switch (config.backend) {
    case 'memory':
      return openMemoryStore({ maxBytes: config.maxBytes });
    case 'sqlite':
      if (config.sqlitePath !== ':memory:') mkdirSync(dirname(config.sqlitePath), { recursive: true });
      return openSqliteCache({ path: config.sqlitePath, maxBytes: config.maxBytes });
    case 'redis':
      return openRedisCache({ url: config.redisUrl, prefix: config.redisPrefix });
  }
}
