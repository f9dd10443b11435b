// The gateway's belief of what the provider has cached, per namespace: the emulator's own
// Anthropic cache (same rules: breakpoints, minimum length, 20-block lookback, TTL refresh on hit)
// replayed with what was sent and when. It only knows what this process sent; a restart or
// another gateway instance makes it pessimistic, which costs a missed read, never an error.
//
// The emulator's cache has no read-only "longest cached prefix" query, so `cachedPrefix` probes
// it with one breakpoint per 20-block window from the end (plan() without commit() changes
// nothing). Bound: `maxNamespaces` caches (LRU); inside each, entries expire with their TTL.
import { AnthropicPromptCache, DEFAULT_MIN_CACHE_TOKENS, LOOKBACK_BLOCKS } from '../providers/anthropic-cache-rules.js';
import { blockEnds, type PromptBlock } from './blocks.js';
import { BoundedLru } from './lru.js';
import type { Breakpoint } from './planner.js';
import { segmentsOf } from './segments.js';

export interface CacheTrackerOptions {
  /** Minimum cacheable tokens by model-id prefix, over the emulator's defaults. */
  minCacheTokens?: Readonly<Record<string, number>>;
  maxNamespaces?: number;
}

export class CacheTracker {
  private readonly caches: BoundedLru<string, AnthropicPromptCache>;
  private readonly minTable: Record<string, number>;
  private clock = 0;

  constructor(opts: CacheTrackerOptions = {}) {
    this.caches = new BoundedLru(opts.maxNamespaces ?? 1_000);
    this.minTable = { ...DEFAULT_MIN_CACHE_TOKENS, ...opts.minCacheTokens };
  }

  private cache(namespace: string): AnthropicPromptCache {
    let c = this.caches.get(namespace);
    if (!c) {
      c = new AnthropicPromptCache(() => this.clock, this.minTable);
      this.caches.set(namespace, c);
    }
    return c;
  }

  /** Hash of the longest prefix of `blocks` believed cached at `now` (empty set when none). */
  cachedPrefixes(namespace: string, model: string, blocks: readonly PromptBlock[], now: number): Set<string> {
    const cache = this.caches.peek(namespace);
    if (!cache) return new Set();
    this.clock = now;
    const ends = blockEnds(blocks);
    let top = blocks.length - 1;
    while (top >= 0 && !blocks[top]!.cacheable) top--;
    for (; top >= 0; top -= LOOKBACK_BLOCKS) {
      while (top >= 0 && !blocks[top]!.cacheable) top--;
      if (top < 0) break;
      const probe = blocks.slice(0, top + 1);
      const read = cache.plan(model, segmentsOf(probe, [{ blockIndex: top, ttl: '5m' }])).usage.cacheReadTokens;
      if (read > 0) {
        for (let i = top; i >= 0; i--) if (ends[i] === read && blocks[i]!.cacheable) return new Set([blocks[i]!.hash]);
      }
    }
    return new Set();
  }

  /** Records a request sent at `now` with these breakpoints (writes and TTL refreshes). */
  record(namespace: string, model: string, blocks: readonly PromptBlock[], breakpoints: readonly Breakpoint[], now: number): void {
    if (breakpoints.length === 0) return;
    this.clock = now;
    this.cache(namespace).plan(model, segmentsOf(blocks, breakpoints)).commit();
  }
}
