// A scenario projected month by month at each scale factor: per-type results summed into the
// month's naive cost, optimised cost and saving by technique (exact bigint pico-dollars).
import { effectiveRates, projectTypeMonth, TECHNIQUES, type Technique, type TypeMonth } from './engine.js';
import type { Scenario } from './scenario.js';
import { splitByShare } from './split.js';

export type Savings = Record<Technique, bigint>;

export interface MonthResult {
  month: number;
  requests: number;
  naivePico: bigint;
  optimizedPico: bigint;
  savingsPico: Savings;
  types: TypeMonth[];
}

export interface Totals {
  requests: number;
  naivePico: bigint;
  optimizedPico: bigint;
  savingsPico: Savings;
}

export interface ScaleResult {
  scale: number;
  months: MonthResult[];
  total: Totals;
}

export function zeroSavings(): Savings {
  return { routing: 0n, prompt_optimization: 0n, response_caching: 0n, prompt_caching: 0n, batching: 0n };
}

/**
 * One month at `scale`. Cache rates that follow the traffic are taken at `rateScale` (normally
 * `scale`; 1 freezes them at the scenario's own volume, to show what growing hit rates are worth).
 */
function monthResult(scenario: Scenario, month: number, scale: number, rateScale: number): MonthResult {
  const stated = scenario.monthlyVolume[month - 1]!;
  const requests = Math.round(stated * scale);
  const reference = scenario.monthlyVolume[0]!;
  const shares = scenario.types.map((t) => t.share);
  const counts = splitByShare(requests, shares);
  const rateCounts = rateScale === scale ? counts : splitByShare(Math.round(stated * rateScale), shares);
  const load = reference > 0 ? (stated * rateScale) / reference : 1;
  const types = scenario.types.map((type, i) =>
    projectTypeMonth({
      type,
      requests: counts[i]!,
      rates: effectiveRates(type.assumptions, { load, growsWithVolume: scenario.reuseGrowsWithVolume, requests: rateCounts[i]! }),
      available: scenario.available,
    }),
  );
  const savingsPico = zeroSavings();
  let naivePico = 0n;
  let optimizedPico = 0n;
  for (const t of types) {
    naivePico += t.stages[0]!;
    optimizedPico += t.stages[TECHNIQUES.length]!;
    TECHNIQUES.forEach((k, i) => (savingsPico[k] += t.stages[i]! - t.stages[i + 1]!));
  }
  return { month, requests, naivePico, optimizedPico, savingsPico, types };
}

export function totalsOf(months: readonly MonthResult[]): Totals {
  const total: Totals = { requests: 0, naivePico: 0n, optimizedPico: 0n, savingsPico: zeroSavings() };
  for (const m of months) {
    total.requests += m.requests;
    total.naivePico += m.naivePico;
    total.optimizedPico += m.optimizedPico;
    for (const k of TECHNIQUES) total.savingsPico[k] += m.savingsPico[k];
  }
  return total;
}

export function projectAtScale(scenario: Scenario, scale: number, rateScale: number = scale): ScaleResult {
  const months = scenario.monthlyVolume.map((_, i) => monthResult(scenario, i + 1, scale, rateScale));
  return { scale, months, total: totalsOf(months) };
}

export interface Projection {
  scenario: Scenario;
  /** The scenario as written (scale 1). */
  base: ScaleResult;
  scales: ScaleResult[];
  /** Each scale again with every cache rate held at its 1× value: what rising hit rates are worth. */
  ratesAt1x: ScaleResult[];
}

export function project(scenario: Scenario, scaleFactors: readonly number[] = scenario.scaleFactors): Projection {
  const scales = scaleFactors.map((s) => projectAtScale(scenario, s));
  const base = scales.find((s) => s.scale === 1) ?? projectAtScale(scenario, 1);
  const ratesAt1x = scales.map((s) => (s.scale === 1 ? s : projectAtScale(scenario, s.scale, 1)));
  return { scenario, base, scales, ratesAt1x };
}

/** Response-cache hits per request and prompt-cache reads per upstream request, as projected. */
export function cacheRates(months: readonly MonthResult[]): { hitRate: number; reuseRate: number } {
  let requests = 0;
  let hits = 0;
  let reads = 0;
  for (const m of months)
    for (const t of m.types) {
      requests += t.requests;
      hits += t.responseCacheHits;
      reads += t.promptCacheReads;
    }
  return { hitRate: requests ? hits / requests : 0, reuseRate: requests > hits ? reads / (requests - hits) : 0 };
}
