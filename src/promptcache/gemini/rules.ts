// Gemini context-caching facts the cost decision needs, in one place. Sources: the Gemini API
// pricing page (ai.google.dev/gemini-api/docs/pricing, "Context caching price (storage)") and the
// caching guide (ai.google.dev/gemini-api/docs/caching) for the minimum sizes; PROVIDER_PROTOCOLS.md
// §6 agrees ("minimum 1024 (Flash) / 2048–4096 (Pro)", storage billed per token-hour). The
// pricing library (genai-prices) has no storage price, so it is kept here. Cache READS are priced
// from ModelPricing.cacheRead like any other token class.

/** Storage, USD per million tokens per hour, by model-id prefix (longest prefix wins). */
export const STORAGE_USD_PER_MTOK_HOUR: Readonly<Record<string, number>> = {
  'gemini-2.5-pro': 4.5,
  'gemini-2.5-flash': 1.0,
  'gemini-2.5-flash-lite': 1.0,
  'gemini-2.0-flash': 1.0,
};

/** Smallest cacheable prefix, tokens, by model-id prefix (longest prefix wins; default 1,024). */
export const MIN_CACHE_TOKENS: Readonly<Record<string, number>> = {
  'gemini-2.5-flash': 1024,
  'gemini-2.5-pro': 4096,
};
export const DEFAULT_MIN_CACHE_TOKENS = 1024;

function longestPrefix<T>(model: string, table: Readonly<Record<string, T>>): T | undefined {
  const id = model.replace(/^models\//, '');
  let best: string | undefined;
  for (const prefix of Object.keys(table)) if (id.startsWith(prefix) && (best === undefined || prefix.length > best.length)) best = prefix;
  return best === undefined ? undefined : table[best];
}

/** Pico-dollars per token-hour of storage; undefined for a model whose storage price is unknown. */
export function storagePicoPerTokenHour(model: string): number | undefined {
  const usd = longestPrefix(model, STORAGE_USD_PER_MTOK_HOUR);
  return usd === undefined ? undefined : Math.round(usd * 1_000_000);
}

export function minCacheTokens(model: string): number {
  return longestPrefix(model, MIN_CACHE_TOKENS) ?? DEFAULT_MIN_CACHE_TOKENS;
}
