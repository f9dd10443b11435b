// Choosing among several deployments of ONE public model.
//
// rankDeployments returns the healthy deployments, best first — the head serves, the rest are a
// ready-made fallback order for runWithFallbacks. Deployments whose breaker is not available are
// never returned. Per strategy:
//   1. a metric per deployment: weighted → none; least-busy → requests in flight;
//      lowest-latency → latency EWMA (unknown counts as 0, so a new deployment gets measured);
//      lowest-cost → the caller's cost function (e.g. expected price of this request there).
//   2. the "good set": deployments whose metric is within `tolerance` of the best (absolute
//      in-flight count for least-busy, a fraction of the best for latency and cost; weighted:
//      every deployment).
//   3. the good set is ordered by prefix affinity when the request has an affinity key (weighted
//      rendezvous hashing: same key → same deployment, and removing a deployment moves only its
//      own keys), otherwise by weighted random sampling (Efraimidis-Spirakis: the first pick is
//      deployment i with probability w_i / Σw).
//   4. the rest follow, by metric.
// So with affinity a tolerance > 0 keeps requests sticky until their deployment is clearly worse.
// Cross-region deployments at different prices under lowest-cost: the cheapest healthy one serves.
import type { ModelPricing } from '../../cost/prices.js';
import { rendezvousScore } from './affinity.js';
import type { LoadStats } from './load.js';

export interface BalancedDeployment {
  readonly key: string;
  /** Relative share for `weighted`, and the rendezvous weight for affinity; default 1. */
  readonly weight?: number;
}

export type BalanceStrategy =
  | { kind: 'weighted' }
  | { kind: 'least-busy'; tolerance?: number }
  | { kind: 'lowest-latency'; tolerance?: number }
  | { kind: 'lowest-cost'; tolerance?: number };

export const DEFAULT_TOLERANCE: Record<BalanceStrategy['kind'], number> = {
  weighted: 0,
  'least-busy': 0,
  'lowest-latency': 0.1,
  'lowest-cost': 0,
};

export interface BalanceRequest {
  /** From `affinityKey([...])`: requests sharing it stick to one healthy deployment. */
  affinityKey?: string;
}

export interface BalancerDeps<D extends BalancedDeployment> {
  random: () => number;
  /** Breaker availability; absent means all healthy. */
  isHealthy?: (key: string) => boolean;
  /** Required by least-busy and lowest-latency. */
  stats?: LoadStats;
  /** Required by lowest-cost: any unit, lower is better. */
  cost?: (deployment: D) => number;
}

export function rankDeployments<D extends BalancedDeployment>(
  deployments: readonly D[],
  strategy: BalanceStrategy,
  request: BalanceRequest,
  deps: BalancerDeps<D>,
): D[] {
  const healthy = deps.isHealthy ? deployments.filter((d) => deps.isHealthy!(d.key)) : [...deployments];
  if (healthy.length <= 1) return healthy;

  const metric = metricFor(strategy, deps);
  const scored = healthy.map((d) => ({ d, m: metric(d) }));
  const best = scored.reduce((min, s) => Math.min(min, s.m), Infinity);
  const tolerance = strategy.kind === 'weighted' ? 0 : (strategy.tolerance ?? DEFAULT_TOLERANCE[strategy.kind]);
  const inGood = (m: number): boolean => {
    if (strategy.kind === 'weighted') return true;
    if (strategy.kind === 'least-busy') return m <= best + tolerance;
    return m <= best + Math.abs(best) * tolerance + 1e-12;
  };
  const good = scored.filter((s) => inGood(s.m));
  const rest = scored.filter((s) => !inGood(s.m)).sort((a, b) => a.m - b.m);

  const key = request.affinityKey;
  const order = good.map((s) => ({
    d: s.d,
    k: key !== undefined ? rendezvousScore(key, s.d.key, weightOf(s.d)) : sampleKey(deps.random(), weightOf(s.d)),
  }));
  order.sort((a, b) => b.k - a.k);
  return [...order.map((o) => o.d), ...rest.map((s) => s.d)];
}

export function pickDeployment<D extends BalancedDeployment>(
  deployments: readonly D[],
  strategy: BalanceStrategy,
  request: BalanceRequest,
  deps: BalancerDeps<D>,
): D | undefined {
  return rankDeployments(deployments, strategy, request, deps)[0];
}

function weightOf(d: BalancedDeployment): number {
  const w = d.weight ?? 1;
  return Number.isFinite(w) && w > 0 ? w : 0;
}

/** Efraimidis-Spirakis key u^(1/w), compared in log space: ln(u)/w. Weight 0 sorts last. */
function sampleKey(u: number, weight: number): number {
  if (weight <= 0) return -Infinity;
  return Math.log(Math.max(u, Number.MIN_VALUE)) / weight;
}

function metricFor<D extends BalancedDeployment>(strategy: BalanceStrategy, deps: BalancerDeps<D>): (d: D) => number {
  switch (strategy.kind) {
    case 'weighted':
      return () => 0;
    case 'least-busy': {
      const stats = need(deps.stats, 'least-busy needs load stats');
      return (d) => stats.inFlight(d.key);
    }
    case 'lowest-latency': {
      const stats = need(deps.stats, 'lowest-latency needs load stats');
      return (d) => stats.latencyMs(d.key) ?? 0;
    }
    case 'lowest-cost': {
      const cost = need(deps.cost, 'lowest-cost needs a cost function');
      return (d) => {
        const c = cost(d);
        return Number.isFinite(c) ? c : Infinity;
      };
    }
  }
}

function need<T>(value: T | undefined, message: string): T {
  if (value === undefined) throw new TypeError(message);
  return value;
}

export interface TokenEstimate {
  input: number;
  output: number;
  /** Input tokens expected to be read from the provider's prompt cache. */
  cachedInput?: number;
}

/**
 * Expected price of one request on a deployment, in pico-dollars (the unit of `ModelPricing`),
 * using the context-length tier the input falls in. A cost function for `lowest-cost`.
 */
export function estimateRequestPico(pricing: ModelPricing, tokens: TokenEstimate): number {
  let prices = pricing.base;
  let above = -1;
  for (const tier of pricing.tiers) {
    if (tokens.input > tier.above && tier.above > above) {
      prices = tier.prices;
      above = tier.above;
    }
  }
  const cached = Math.min(tokens.cachedInput ?? 0, tokens.input);
  return (tokens.input - cached) * prices.input + cached * prices.cacheRead + tokens.output * prices.output;
}
