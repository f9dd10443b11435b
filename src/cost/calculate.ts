// Usage by token class × prices → exact cost in pico-dollars.
import { totalInputTokens, type Usage } from '../core/canonical.js';
import type { ModelPricing, TokenPrices } from './prices.js';

export function pricesFor(pricing: ModelPricing, inputTokens: number): TokenPrices {
  let chosen = pricing.base;
  for (const tier of pricing.tiers) if (inputTokens > tier.above) chosen = tier.prices;
  return chosen;
}

/**
 * What the usage would cost with no prompt caching: cache reads and writes priced as plain input.
 * The difference to `costPico` is what prompt caching saved (negative when it only wrote).
 */
export function uncachedCostPico(usage: Usage, pricing: ModelPricing): number {
  const p = pricesFor(pricing, totalInputTokens(usage));
  return totalInputTokens(usage) * p.input + usage.outputTokens * p.output;
}

export function costPico(usage: Usage, pricing: ModelPricing): number {
  const p = pricesFor(pricing, totalInputTokens(usage));
  return (
    usage.inputTokens * p.input +
    usage.cacheReadTokens * p.cacheRead +
    usage.cacheWrite5mTokens * p.cacheWrite5m +
    usage.cacheWrite1hTokens * p.cacheWrite1h +
    usage.outputTokens * p.output
  );
}
