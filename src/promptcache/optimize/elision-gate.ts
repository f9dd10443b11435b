// The cache-aware test every elision passes before it is applied. Editing the prompt at token
// offset p changes every prefix from p on: whatever the provider has cached past p is lost. So
// eliding R tokens, the first of them at p, with C tokens believed cached (pico-dollars per token:
// input `in`, cache read `cr`, 5m write `w`):
//   this request saves      R × in                         (R fewer tokens billed)
//   but forfeits            (C − p)⁺ × (in − cr)           (those tokens now billed as input, not read)
//   and re-writes           (C − p − R)⁺ × (w − in)        (the planner writes the new prefix again)
//   while the next request  R × cr                         (would have read the R tokens from cache)
// An elision after the cached prefix (p ≥ C) always pays; one inside it pays only when the tokens
// removed outweigh the cache reads it throws away.
import type { UnitPrices } from '../cost-model.js';

export interface ElisionCase {
  /** Tokens removed (the elided text minus its stub). */
  removedTokens: number;
  /** Token offset of the first edit in the prompt. */
  firstEditAt: number;
  /** Tokens of the prefix believed to be in the provider's cache. */
  cachedPrefixTokens: number;
  prices: UnitPrices;
}

/** Expected net saving of the elision in pico-dollars (negative: leave the prompt as it is). */
export function elisionNetPico(c: ElisionCase): number {
  const { input, cacheRead } = c.prices;
  const lost = Math.max(0, c.cachedPrefixTokens - c.firstEditAt);
  const rewrite = Math.max(0, lost - c.removedTokens);
  return c.removedTokens * input + c.removedTokens * cacheRead - lost * (input - cacheRead) - rewrite * (c.prices.write['5m'] - input);
}
