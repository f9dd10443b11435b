import type { ModelPricing } from '../../src/cost/prices.js';
import type { PromptBlock } from '../../src/promptcache/blocks.js';
import type { ReuseEstimate, ReuseModel } from '../../src/promptcache/reuse.js';

/** claude-sonnet-4-5 list prices (PROVIDER_PROTOCOLS.md §7), pico-dollars per token. */
export const SONNET: ModelPricing = {
  source: 'config',
  base: { input: 3_000_000, output: 15_000_000, cacheRead: 300_000, cacheWrite5m: 3_750_000, cacheWrite1h: 6_000_000 },
  tiers: [],
};

/** `n` blocks of `tokens` each with distinct chained hashes under `tag`. */
export function blocks(n: number, tokens: number, tag = 'p'): PromptBlock[] {
  return Array.from({ length: n }, (_, i) => ({ hash: `${tag}${i}`, tokens, kind: 'message' as const, cacheable: true }));
}

/** A reuse model returning fixed expected reads for every block. */
export function fixedReuse(reads5m: number, reads1h: number): ReuseModel {
  const e: ReuseEstimate = { expectedReads: { '5m': reads5m, '1h': reads1h } };
  return { observe: () => {}, estimate: (_ns, b) => b.map(() => e) };
}
