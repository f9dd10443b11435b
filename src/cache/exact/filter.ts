// The invalidation filter as a predicate, for the stores that filter in JS.
import type { CacheEntry, InvalidateFilter } from '../types.js';

/** True when `entry` meets every criterion of `filter` at time `now`. */
export function matches(entry: CacheEntry, filter: InvalidateFilter, now: number): boolean {
  return (
    (filter.key === undefined || entry.key === filter.key) &&
    (filter.tenant === undefined || entry.tenant === filter.tenant) &&
    (filter.model === undefined || entry.model === filter.model) &&
    (filter.olderThanMs === undefined || entry.createdAt < now - filter.olderThanMs)
  );
}
