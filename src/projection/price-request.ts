// What one request costs, synchronously or through the provider's batch API, from its token classes
// and the deployment's prices: the gateway's own costPico, so a projection (and a trace replay)
// prices every request exactly as the ledger would. genai-prices has no batch prices, so the batch
// discount is this small table of our own (PROVIDER_PROTOCOLS.md §3, §5, §7).
import type { Usage } from '../core/canonical.js';
import type { Deployment } from '../config/catalog.js';
import type { ProviderConfig } from '../providers/types.js';
import { costPico } from '../cost/calculate.js';
import type { ModelPricing, TokenPrices } from '../cost/prices.js';

/** Share of the synchronous price a batch request saves, by provider kind (0: no batch API). */
export const BATCH_DISCOUNT: Readonly<Record<ProviderConfig['kind'], number>> = {
  openai: 0.5,
  anthropic: 0.5,
  gemini: 0.5,
  'openai-compatible': 0,
};

export type Mode = 'sync' | 'batch';

function discounted(p: TokenPrices, keep: number): TokenPrices {
  // List prices in pico-dollars per token are multiples of 1e4 or more, so halving stays exact.
  const f = (v: number): number => Math.round(v * keep);
  return { input: f(p.input), output: f(p.output), cacheRead: f(p.cacheRead), cacheWrite5m: f(p.cacheWrite5m), cacheWrite1h: f(p.cacheWrite1h) };
}

/** The deployment's batch prices as a ModelPricing (every token class discounted alike). */
export function batchPricing(pricing: ModelPricing, discount: number): ModelPricing {
  const keep = 1 - discount;
  return { source: pricing.source, base: discounted(pricing.base, keep), tiers: pricing.tiers.map((t) => ({ above: t.above, prices: discounted(t.prices, keep) })) };
}

const batchCache = new WeakMap<Deployment, ModelPricing>();

export function hasBatchApi(d: Deployment): boolean {
  return BATCH_DISCOUNT[d.provider.kind] > 0;
}

/** Pico-dollars for one request with `usage` on `d`. */
export function requestCostPico(usage: Usage, d: Deployment, mode: Mode = 'sync'): number {
  if (mode === 'sync' || !hasBatchApi(d)) return costPico(usage, d.pricing);
  let pricing = batchCache.get(d);
  if (!pricing) {
    pricing = batchPricing(d.pricing, BATCH_DISCOUNT[d.provider.kind]);
    batchCache.set(d, pricing);
  }
  return costPico(usage, pricing);
}
