// Tiers: cheap / mid / frontier groups of models. Within a tier the cheapest model that can serve
// the request wins, priced for this request's own token counts.
import type { Deployment } from '../../config/catalog.js';
import { pricesFor } from '../../cost/calculate.js';
import { capableOf } from './capabilities.js';
import type { RequestFeatures } from './features.js';

export type Tier = 'cheap' | 'mid' | 'frontier';
export const TIERS: readonly Tier[] = ['cheap', 'mid', 'frontier'];

/** Output tokens assumed when the request sets no max (for comparing prices only). */
export const DEFAULT_EXPECTED_OUTPUT = 256;

/** Expected cost of the request on `d`, in pico-dollars (input estimate + expected output). */
export function expectedCostPico(d: Deployment, f: RequestFeatures): number {
  const p = pricesFor(d.pricing, f.promptTokens);
  const output = Math.min(f.maxOutputTokens ?? DEFAULT_EXPECTED_OUTPUT, DEFAULT_EXPECTED_OUTPUT);
  return f.promptTokens * p.input + output * p.output;
}

/** Cheapest capable deployment among `candidates`, or undefined when none can serve. */
export function cheapestCapable(candidates: readonly Deployment[], f: RequestFeatures): Deployment | undefined {
  let best: Deployment | undefined;
  let bestCost = Infinity;
  for (const d of capableOf(candidates, f)) {
    const cost = expectedCostPico(d, f);
    if (cost < bestCost || (cost === bestCost && best !== undefined && d.name < best.name)) {
      best = d;
      bestCost = cost;
    }
  }
  return best;
}

/**
 * The models of a tier, falling back to the next tier up when no model of the tier can serve
 * (a cheap tier without vision sends an image request to mid, never to an incapable model).
 */
export function pickInTier(all: readonly Deployment[], tier: Tier, f: RequestFeatures): { deployment: Deployment; tier: Tier } | undefined {
  for (let i = TIERS.indexOf(tier); i < TIERS.length; i++) {
    const t = TIERS[i]!;
    const d = cheapestCapable(
      all.filter((x) => x.tier === t),
      f,
    );
    if (d) return { deployment: d, tier: t };
  }
  return undefined;
}
