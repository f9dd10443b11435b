// Per-token prices for a deployment: from @pydantic/genai-prices, overridable in config.
import { calcPrice } from '@pydantic/genai-prices';
import { picoPerToken } from './money.js';

/** Pico-dollars per token for each token class, at one context-length tier. */
export interface TokenPrices {
  input: number;
  output: number;
  cacheRead: number;
  cacheWrite5m: number;
  cacheWrite1h: number;
}

export interface ModelPricing {
  /** Where the prices came from, for reports. */
  source: 'genai-prices' | 'config';
  base: TokenPrices;
  /** Higher prices once total input tokens exceed `above` (e.g. >200k context). */
  tiers: Array<{ above: number; prices: TokenPrices }>;
}

export interface PriceOverride {
  input: number;
  output: number;
  cacheRead?: number | undefined;
  cacheWrite5m?: number | undefined;
  cacheWrite1h?: number | undefined;
}

const PRICE_PROVIDER_ID: Record<string, string | undefined> = {
  openai: 'openai',
  anthropic: 'anthropic',
  gemini: 'google',
  'openai-compatible': undefined,
  'azure-openai': 'azure',
  bedrock: 'aws',
  vertex: 'google',
};

type Tiered = { base: number; tiers: Array<{ start: number; price: number }> };
type PriceValue = number | Tiered | undefined;

function at(value: PriceValue, tierIndex: number): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value === 'number') return value;
  if (tierIndex < 0) return value.base;
  return value.tiers[tierIndex]?.price ?? value.base;
}

function fromOverride(o: PriceOverride): TokenPrices {
  return {
    input: picoPerToken(o.input),
    output: picoPerToken(o.output),
    cacheRead: picoPerToken(o.cacheRead ?? o.input),
    cacheWrite5m: picoPerToken(o.cacheWrite5m ?? o.input),
    cacheWrite1h: picoPerToken(o.cacheWrite1h ?? o.cacheWrite5m ?? o.input),
  };
}

/** Looks the model up in the pricing library; null when it has no price. */
export function lookupPricing(providerKind: string, upstreamModel: string): ModelPricing | null {
  const providerId = PRICE_PROVIDER_ID[providerKind];
  const result = calcPrice({ input_tokens: 1, output_tokens: 1 }, upstreamModel, providerId ? { providerId } : {});
  if (!result) return null;
  const mp = result.model_price as Record<string, PriceValue>;
  const input = mp['input_mtok'];
  if (input === undefined) return null;
  const tierStarts = typeof input === 'object' ? input.tiers.map((t) => t.start) : [];
  const pricesAt = (tier: number): TokenPrices => {
    const inp = at(input, tier) ?? 0;
    const write5m = at(mp['cache_write_mtok'], tier);
    return {
      input: picoPerToken(inp),
      output: picoPerToken(at(mp['output_mtok'], tier) ?? 0),
      cacheRead: picoPerToken(at(mp['cache_read_mtok'], tier) ?? inp),
      cacheWrite5m: picoPerToken(write5m ?? inp),
      cacheWrite1h: picoPerToken(at(mp['cache_write_1h_mtok'], tier) ?? (write5m !== undefined ? inp * 2 : inp)),
    };
  };
  return {
    source: 'genai-prices',
    base: pricesAt(-1),
    tiers: tierStarts.map((start, i) => ({ above: start, prices: pricesAt(i) })),
  };
}

export function resolvePricing(providerKind: string, upstreamModel: string, override?: PriceOverride): ModelPricing | null {
  if (override) return { source: 'config', base: fromOverride(override), tiers: [] };
  return lookupPricing(providerKind, upstreamModel);
}
