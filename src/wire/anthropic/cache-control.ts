// `cache_control` ⇄ CacheControl. Only `ephemeral` exists; `ttl` is kept only when given.
import type { CacheControl } from '../../core/canonical.js';
import { checkKeys, field, invalid, isObject, type JsonObject } from './validate.js';

const KEYS: ReadonlySet<string> = new Set(['type', 'ttl']);

export function parseCacheControl(v: unknown, path: string): CacheControl | undefined {
  if (v === undefined || v === null) return undefined;
  if (!isObject(v)) throw invalid(path, 'Input should be a valid dictionary');
  checkKeys(v, KEYS, path);
  if (v.type !== 'ephemeral') throw invalid(field(path, 'type'), "Input should be 'ephemeral'");
  if (v.ttl === undefined || v.ttl === null) return { type: 'ephemeral' };
  if (v.ttl !== '5m' && v.ttl !== '1h') throw invalid(field(path, 'ttl'), "Input should be '5m' or '1h'");
  return { type: 'ephemeral', ttl: v.ttl };
}

export function renderCacheControl(cc: CacheControl): JsonObject {
  return cc.ttl === undefined ? { type: 'ephemeral' } : { type: 'ephemeral', ttl: cc.ttl };
}

/** Adds `cache_control` to a block when the part has one. */
export function withCacheControl(block: JsonObject, cc: CacheControl | undefined): JsonObject {
  if (cc !== undefined) block.cache_control = renderCacheControl(cc);
  return block;
}
