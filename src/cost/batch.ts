// Batch prices. @pydantic/genai-prices has no batch prices (DESIGN.md), so the discount lives
// here, in one place: OpenAI's and Anthropic's batch APIs bill every token class — input, cache
// reads, cache writes, output — at 50% of the synchronous price (PROVIDER_PROTOCOLS.md §3, §5:
// "Batch and caching discounts stack"). Per-deployment price overrides are discounted the same way.
import type { ModelPricing, TokenPrices } from './prices.js';
import type { ProviderKind } from '../providers/types.js';

/** Provider kinds that have a batch API costwise submits to. */
export const NATIVE_BATCH_KINDS: ReadonlySet<ProviderKind> = new Set(['openai', 'anthropic']);

/** Percent of the synchronous price a batch item costs. */
export const BATCH_PRICE_PERCENT = 50;

// Every published price is a whole, even number of pico-dollars per token, so halving is exact;
// an odd price (an override of $0.000001/MTok) rounds half up.
const half = (pico: number): number => Math.round((pico * BATCH_PRICE_PERCENT) / 100);

function discounted(p: TokenPrices): TokenPrices {
  return { input: half(p.input), output: half(p.output), cacheRead: half(p.cacheRead), cacheWrite5m: half(p.cacheWrite5m), cacheWrite1h: half(p.cacheWrite1h) };
}

const memo = new WeakMap<ModelPricing, ModelPricing>();

/** The deployment's prices on its provider's batch API. */
export function batchPricing(sync: ModelPricing): ModelPricing {
  let out = memo.get(sync);
  if (!out) {
    out = { source: sync.source, base: discounted(sync.base), tiers: sync.tiers.map((t) => ({ above: t.above, prices: discounted(t.prices) })) };
    memo.set(sync, out);
  }
  return out;
}

export function hasNativeBatch(kind: ProviderKind): boolean {
  return NATIVE_BATCH_KINDS.has(kind);
}
