// A true lower bound on the input cost of any caching policy under the emulator's rules.
// Per (request, block) occurrence:
//  - a block can be read only if some prefix of this request that ends at or after it, and at or
//    above the minimum length, was sent within the last hour (an entry is created or refreshed
//    only by a request containing its prefix, and lives at most 1h after that): such blocks are
//    priced at the read price, all others at the input price;
//  - every distinct block that is ever priced at the read price above was either really read —
//    so some occurrence of it was written, paying at least (write5m − input) more than priced
//    here — or never read, so that occurrence paid at least (input − cacheRead) more. The smaller
//    of the two is added once per such block.
// Writes, lookback, the 4-breakpoint limit and TTL expiry below 1h are all ignored, which only
// lowers the bound further.
import type { ModelPricing } from '../../cost/prices.js';
import { blockEnds, type PromptBlock } from '../blocks.js';
import { unitPrices, TTL_MS } from '../cost-model.js';

export function lowerBoundPico(
  arrivals: ReadonlyArray<{ blocks: readonly PromptBlock[]; time: number }>,
  pricing: ModelPricing,
  minCacheableTokens: number,
): bigint {
  const tiers = [pricing.base, ...pricing.tiers.map((t) => t.prices)];
  const premium = Math.min(...tiers.map((p) => Math.min(p.cacheWrite5m - p.input, p.input - p.cacheRead)));
  const lastSeen = new Map<string, number>();
  const charged = new Set<string>();
  let total = 0n;
  for (const { blocks, time } of arrivals) {
    const ends = blockEnds(blocks);
    const n = blocks.length;
    const prices = unitPrices(pricing, n > 0 ? ends[n - 1]! : 0);
    let readable = 0;
    for (let i = n - 1; i >= 0; i--) {
      const b = blocks[i]!;
      const seen = lastSeen.get(b.hash);
      if (b.cacheable && ends[i]! >= minCacheableTokens && seen !== undefined && time - seen < TTL_MS['1h']) {
        readable = i + 1;
        break;
      }
    }
    let cost = 0;
    for (let i = 0; i < n; i++) {
      const b = blocks[i]!;
      if (i < readable) {
        cost += b.tokens * prices.cacheRead;
        if (!charged.has(b.hash)) {
          charged.add(b.hash);
          cost += b.tokens * Math.max(0, premium);
        }
      } else cost += b.tokens * prices.input;
    }
    total += BigInt(cost);
    for (const b of blocks) lastSeen.set(b.hash, time);
  }
  return total;
}
