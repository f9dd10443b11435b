// The cost model behind every breakpoint decision, in pico-dollars per token.
//
// Writing the segment (from, to] of a prompt with TTL T costs `write_T` instead of `input` per
// token: a premium of (write_T − input). Each later request that reads an entry covering the
// segment pays `cacheRead` instead of `input`: a saving of (input − cacheRead) per token. So a
// segment pays when  expectedReads_T × (input − cacheRead) > premium_T.  A later read hits the
// LONGEST cached prefix it can see, so a segment is only credited with the reads of requests that
// contain its end (see planner.ts).
import { pricesFor } from '../cost/calculate.js';
import type { ModelPricing } from '../cost/prices.js';

export type Ttl = '5m' | '1h';
export const TTLS: readonly Ttl[] = ['1h', '5m'];
export const TTL_MS: Readonly<Record<Ttl, number>> = { '5m': 5 * 60_000, '1h': 60 * 60_000 };

export interface UnitPrices {
  input: number;
  cacheRead: number;
  write: Readonly<Record<Ttl, number>>;
}

/** Prices of the tier a prompt of `totalTokens` falls in (every policy sees the same tier). */
export function unitPrices(pricing: ModelPricing, totalTokens: number): UnitPrices {
  const p = pricesFor(pricing, totalTokens);
  return { input: p.input, cacheRead: p.cacheRead, write: { '5m': p.cacheWrite5m, '1h': p.cacheWrite1h } };
}

export function readSaving(p: UnitPrices): number {
  return p.input - p.cacheRead;
}

export function writePremium(p: UnitPrices, ttl: Ttl): number {
  return p.write[ttl] - p.input;
}

/**
 * Expected net saving per token of writing a segment with TTL `ttl` whose end will be read
 * `expectedReads` times. `premiumFactor` < 1 is the aggressive mode's lower bar.
 */
export function segmentValuePerToken(p: UnitPrices, ttl: Ttl, expectedReads: number, premiumFactor = 1): number {
  return expectedReads * readSaving(p) - premiumFactor * writePremium(p, ttl);
}

/**
 * Reads a write with TTL T may be credited with beyond the next arrival's, when that arrival is
 * only likely. Not writing now does not forfeit the later reads: if the prefix comes back, that
 * arrival can write it then with the same TTL, paying the premium once. So against deferring, a
 * write now that the next arrival reads (probability p) gains that read plus the premium the
 * next arrival no longer pays:
 *   value = p × (readSaving + min(premium_T, readSaving × laterReads)) − premium_T,
 * i.e. credited reads = p × (1 + min(laterReads, premium_T / readSaving)). Crediting the whole
 * chain instead (p × (1 + laterReads)) halves the bar for a first prompt's 5m write (p > 0.11
 * instead of 0.22 on Claude prices), and wrote most one-off prompts of the Mooncake trace.
 */
export function deferralCredit(p: UnitPrices): Record<Ttl, number> {
  const saving = readSaving(p);
  const credit = (ttl: Ttl): number => (saving > 0 ? Math.max(0, writePremium(p, ttl)) / saving : 0);
  return { '5m': credit('5m'), '1h': credit('1h') };
}

/** What is known of an entry's future when it is written: see creditedReads. */
export interface ReuseOutlook {
  /** P(the next arrival comes within 5m) and within 1h (≥ the 5m one). */
  pWithin: Readonly<Record<Ttl, number>>;
  /** Expected reads after the next arrival, per TTL. */
  laterReads: Readonly<Record<Ttl, number>>;
}

/**
 * Expected reads to credit a write with, per TTL: p × (1 + later) capped by the deferral credit
 * (see deferralCredit). A next arrival within 5m reads a 5m entry as well, so a 1h write earns its
 * own, larger credit only on the arrivals between 5m and 1h. Without a credit the whole chain counts.
 */
export function creditedReads(o: ReuseOutlook, credit?: Readonly<Record<Ttl, number>>): Record<Ttl, number> {
  const p5 = Math.min(Math.max(o.pWithin['5m'], 0), MAX_REUSE_PROBABILITY);
  const p1 = Math.max(p5, Math.min(o.pWithin['1h'], MAX_REUSE_PROBABILITY));
  const c5 = credit?.['5m'] ?? Infinity;
  const c1 = credit?.['1h'] ?? Infinity;
  const l5 = o.laterReads['5m'];
  const l1 = o.laterReads['1h'];
  return { '5m': p5 * (1 + Math.min(l5, c5)), '1h': p5 * (1 + Math.min(l1, c5)) + (p1 - p5) * (1 + Math.min(l1, c1)) };
}

/** Highest probability trusted from an estimate, so expected reads stay finite (≤ 49). */
export const MAX_REUSE_PROBABILITY = 0.98;

/**
 * Expected reads of an entry whose every access is followed by another within the TTL with
 * probability p: each hit refreshes the TTL, so reads form a geometric chain, E = p / (1 − p).
 */
export function expectedReadsFromProbability(p: number): number {
  const q = Math.min(Math.max(p, 0), MAX_REUSE_PROBABILITY);
  return q / (1 - q);
}
