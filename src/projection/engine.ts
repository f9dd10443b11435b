// One request type in one month: the naive cost, then the cost after each technique in turn.
//
// The techniques are applied in a fixed order, each to what the previous ones left:
//   1. routing              every request on the serving model instead of the naive one
//   2. prompt_optimization  fewer input tokens per request
//   3. response_caching     cache hits send nothing upstream and cost nothing
//   4. prompt_caching       the shared prefix of the remaining requests read from (or written to)
//                           the provider's cache
//   5. batching             the batchable share of what is left at the batch API's price
// A technique's saving is the cost before it minus the cost after it, so the savings telescope:
// their sum is exactly naive − optimised, whatever the order. The order decides only how that
// total is split. It matters because each saving is valued at the prices and volumes the earlier
// techniques left: prompt caching saves less in dollars on the cheaper routed model, and a
// response-cache hit sends nothing upstream, so it cannot also earn a prompt-cache or batch saving.
// Routing first matches the gateway's ledger, which attributes to routing the difference between
// the no-cache price on the model asked for and the no-cache price on the model that served.
//
// Counts are whole requests (rounded once per stage) and costs are exact integer pico-dollars from
// requestCostPico (the gateway's costPico on the request's token classes).
import { ZERO_USAGE, type Usage } from '../core/canonical.js';
import type { Deployment } from '../config/catalog.js';
import { monthlyRate, ttlHitRate } from './popularity.js';
import { hasBatchApi, requestCostPico, type Mode } from './price-request.js';
import { servingModel } from './route.js';
import type { Assumptions, RequestType } from './scenario.js';
import { portion } from './split.js';

export const TECHNIQUES = ['routing', 'prompt_optimization', 'response_caching', 'prompt_caching', 'batching'] as const;
export type Technique = (typeof TECHNIQUES)[number];

export interface TypeMonth {
  type: string;
  requests: number;
  naiveModel: string;
  servedModel: string;
  /** The response-cache hit rate and prompt-cache reuse rate this month's traffic gets. */
  rates: EffectiveRates;
  inputTokensAfterOptimization: number;
  responseCacheHits: number;
  /** Requests that read the shared prefix from the provider's prompt cache (0 when caching does not pay). */
  promptCacheReads: number;
  /** Requests sent through the batch API (0 when the provider has none). */
  batched: number;
  /** Cost in pico-dollars: naive, then after each technique in TECHNIQUES order (6 entries). */
  stages: bigint[];
}

/** The rates one request type gets in one month. */
export interface EffectiveRates {
  /** Response-cache hits (exact + semantic) as a share of requests. */
  hitRate: number;
  /** The exact part of hitRate: as stated, or derived from key popularity and the request rate. */
  exactHitRate: number;
  /** Share of the requests sent upstream that read the prefix from the provider's cache. */
  reuseRate: number;
}

export interface RateContext {
  /** This month's volume ÷ the month-1 volume at 1×. */
  load: number;
  growsWithVolume: boolean;
  /** This type's requests this month. */
  requests: number;
}

const PROMPT_CACHE_TTL_SECONDS: Record<Assumptions['ttl'], number> = { '5m': 300, '1h': 3600 };

/**
 * Stated rates, or rates that follow the traffic:
 * - with a key popularity (`exactPopularity`, `prefixPopularity`), the TTL-cache model of
 *   popularity.ts at this month's request rate: the response cache sees all the type's requests,
 *   the prompt cache only those the response cache did not answer;
 * - otherwise, with `growsWithVolume`, a prefix is reused when another request with it arrives
 *   within the TTL; with Poisson arrivals that chance is 1 − e^(−λT), so at `load` times the
 *   traffic it becomes 1 − (1 − r)^load. Stated response-cache hit rates stay as given.
 */
export function effectiveRates(a: Assumptions, ctx: RateContext): EffectiveRates {
  const exactHitRate = a.exactPopularity
    ? ttlHitRate(a.exactPopularity, monthlyRate(ctx.requests), a.exactPopularity.ttlSeconds, 'from-write')
    : a.exactHitRate;
  const hitRate = Math.min(1, exactHitRate + a.semanticHitRate);
  let reuseRate = a.reuseRate;
  if (a.prefixPopularity) {
    const upstream = ctx.requests - portion(ctx.requests, hitRate);
    reuseRate = ttlHitRate(a.prefixPopularity, monthlyRate(upstream), PROMPT_CACHE_TTL_SECONDS[a.ttl], 'refresh-on-hit');
  } else if (ctx.growsWithVolume && ctx.load > 0) {
    reuseRate = 1 - Math.pow(1 - a.reuseRate, ctx.load);
  }
  return { hitRate, exactHitRate, reuseRate };
}

const usage = (input: number, output: number, cached = 0, cache: 'read' | '5m' | '1h' = 'read'): Usage => ({
  ...ZERO_USAGE,
  inputTokens: input,
  outputTokens: output,
  cacheReadTokens: cache === 'read' ? cached : 0,
  cacheWrite5mTokens: cache === '5m' ? cached : 0,
  cacheWrite1hTokens: cache === '1h' ? cached : 0,
});

/** n × the cost of one request. */
function times(n: number, u: Usage, d: Deployment, mode: Mode = 'sync'): bigint {
  return BigInt(n) * BigInt(requestCostPico(u, d, mode));
}

export interface TypeMonthInput {
  type: RequestType;
  requests: number;
  rates: EffectiveRates;
  available: readonly Deployment[];
}

export function projectTypeMonth({ type: t, requests: n, rates, available }: TypeMonthInput): TypeMonth {
  const served = servingModel(t, available);
  if (!served) throw new Error(`no available model can serve request type "${t.name}"`);
  const a = t.assumptions;
  const out = t.outputTokens;

  const c0 = times(n, usage(t.inputTokens, out), t.naive);
  const c1 = times(n, usage(t.inputTokens, out), served);

  const input = Math.round(t.inputTokens * (1 - a.promptOptimization));
  const plain = usage(input, out);
  const c2 = times(n, plain, served);

  const hits = portion(n, rates.hitRate);
  const misses = n - hits;
  const c3 = times(misses, plain, served);

  // The batch split comes first so that readers and writers are the same whole requests in the
  // prompt-caching and the batching stage.
  const batched = hasBatchApi(served) ? portion(misses, a.batchableShare) : 0;
  const sync = misses - batched;
  const prefix = Math.round(input * a.prefixShare);
  const read = usage(input - prefix, out, prefix, 'read');
  const write = usage(input - prefix, out, prefix, a.ttl);
  const readsSync = portion(sync, rates.reuseRate);
  const readsBatch = portion(batched, rates.reuseRate);
  const cached = times(readsSync + readsBatch, read, served) + times(misses - readsSync - readsBatch, write, served);
  // Like the gateway's planner, a prefix is only cached when that pays (writes can cost more than they save).
  const useCache = prefix > 0 && cached < c3;
  const c4 = useCache ? cached : c3;

  const c5 = useCache
    ? times(readsSync, read, served) +
      times(sync - readsSync, write, served) +
      times(readsBatch, read, served, 'batch') +
      times(batched - readsBatch, write, served, 'batch')
    : times(sync, plain, served) + times(batched, plain, served, 'batch');

  return {
    type: t.name,
    requests: n,
    naiveModel: t.naive.name,
    servedModel: served.name,
    rates,
    inputTokensAfterOptimization: input,
    responseCacheHits: hits,
    promptCacheReads: useCache ? readsSync + readsBatch : 0,
    batched,
    stages: [c0, c1, c2, c3, c4, c5],
  };
}
