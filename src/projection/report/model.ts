// The report every format renders: the projection at each scale, the sensitivity table and the
// assumptions, as one plain JSON-ready object (USD as numbers, rates as fractions).
import { TECHNIQUES, type Technique } from '../engine.js';
import { cacheRates, type MonthResult, type Projection, type ScaleResult, type Totals } from '../project.js';
import type { RequestType, Scenario } from '../scenario.js';
import type { Sensitivity } from '../sensitivity.js';
import { servingModel } from '../route.js';
import { usd } from './money.js';

export type SavingsUsd = Record<Technique, number>;

export interface MonthJson {
  month: number;
  requests: number;
  naive_cost_usd: number;
  optimized_cost_usd: number;
  savings_usd: SavingsUsd;
  /** Response-cache hits per request and prompt-cache reads per upstream request this month. */
  cache_rates: CacheRatesJson;
}

export interface CacheRatesJson {
  response_cache_hit_rate: number;
  prompt_cache_reuse_rate: number;
}

export interface TotalsJson {
  requests: number;
  naive_cost_usd: number;
  optimized_cost_usd: number;
  savings_usd: SavingsUsd;
}

export interface ScaleJson {
  scale: number;
  months: MonthJson[];
  totals: TotalsJson;
  /** Optimised total ÷ (scale × the scale-1 optimised total): below 1 means it grows sub-linearly. */
  optimized_vs_linear: number;
  /** What hit rates that rise with the traffic save at this scale (0 when every rate is fixed). */
  rising_cache_rates: {
    /** The optimised total with every cache rate held at its 1× value. */
    optimized_at_1x_rates_usd: number;
    saving_usd: number;
    /** saving_usd ÷ (linear − optimised total): how much of the sub-linear growth is caching; null when there is no gap. */
    share_of_sublinear_gap: number | null;
  };
}

export interface TypeJson {
  name: string;
  share: number;
  input_tokens: number;
  output_tokens: number;
  serve: string;
  served_model: string;
  naive_model: string;
  prompt_optimization: number;
  exact_hit_rate: number;
  semantic_hit_rate: number;
  prefix_share: number;
  reuse_rate: number;
  ttl: string;
  batchable_share: number;
  /** Set when the exact hit rate is derived each month from key popularity (then exact_hit_rate is unused). */
  exact_popularity: { zipf_exponent: number; catalogue_size: number; ttl_seconds: number } | null;
  /** Set when the prefix reuse rate is derived each month from prefix popularity. */
  prefix_popularity: { zipf_exponent: number; catalogue_size: number } | null;
}

export interface ReportJson {
  scenario: {
    name: string;
    description: string;
    catalog: string;
    months: number;
    volume: string;
    monthly_requests: number[];
    scale_factors: number[];
    reuse_grows_with_volume: boolean;
    technique_order: Technique[];
    types: TypeJson[];
  };
  /** The scenario as written (scale 1). */
  months: MonthJson[];
  totals: TotalsJson;
  scales: ScaleJson[];
  sensitivity: {
    range: number;
    metric: string;
    month1_optimized_usd: number;
    total_optimized_usd: number;
    rows: Array<{ assumption: string; month1_low_usd: number; month1_high_usd: number; total_low_usd: number; total_high_usd: number; swing_usd: number }>;
  };
}

function savingsJson(s: Record<Technique, bigint>): SavingsUsd {
  return Object.fromEntries(TECHNIQUES.map((k) => [k, usd(s[k])])) as SavingsUsd;
}

function monthJson(m: MonthResult): MonthJson {
  return {
    month: m.month,
    requests: m.requests,
    naive_cost_usd: usd(m.naivePico),
    optimized_cost_usd: usd(m.optimizedPico),
    savings_usd: savingsJson(m.savingsPico),
    cache_rates: cacheRatesJson([m]),
  };
}

function cacheRatesJson(months: readonly MonthResult[]): CacheRatesJson {
  const r = cacheRates(months);
  return { response_cache_hit_rate: round6(r.hitRate), prompt_cache_reuse_rate: round6(r.reuseRate) };
}

const round6 = (v: number): number => +v.toFixed(6);

function risingRates(x: ScaleResult, frozen: ScaleResult, base: ScaleResult): ScaleJson['rising_cache_rates'] {
  const saving = frozen.total.optimizedPico - x.total.optimizedPico;
  const linear = usd(base.total.optimizedPico) * (x.scale / base.scale);
  const gap = linear - usd(x.total.optimizedPico);
  return {
    optimized_at_1x_rates_usd: usd(frozen.total.optimizedPico),
    saving_usd: usd(saving),
    share_of_sublinear_gap: saving !== 0n && gap > 0.005 ? round6(usd(saving) / gap) : null,
  };
}

function totalsJson(t: Totals): TotalsJson {
  return { requests: t.requests, naive_cost_usd: usd(t.naivePico), optimized_cost_usd: usd(t.optimizedPico), savings_usd: savingsJson(t.savingsPico) };
}

function typeJson(t: RequestType, s: Scenario): TypeJson {
  const a = t.assumptions;
  return {
    name: t.name,
    share: t.share,
    input_tokens: t.inputTokens,
    output_tokens: t.outputTokens,
    serve: t.serve.kind === 'tier' ? `tier ${t.serve.tier}` : `model ${t.serve.model.name}`,
    served_model: servingModel(t, s.available)?.name ?? '',
    naive_model: t.naive.name,
    prompt_optimization: a.promptOptimization,
    exact_hit_rate: a.exactHitRate,
    semantic_hit_rate: a.semanticHitRate,
    prefix_share: a.prefixShare,
    reuse_rate: a.reuseRate,
    ttl: a.ttl,
    batchable_share: a.batchableShare,
    exact_popularity: a.exactPopularity
      ? { zipf_exponent: a.exactPopularity.zipfExponent, catalogue_size: a.exactPopularity.catalogueSize, ttl_seconds: a.exactPopularity.ttlSeconds }
      : null,
    prefix_popularity: a.prefixPopularity ? { zipf_exponent: a.prefixPopularity.zipfExponent, catalogue_size: a.prefixPopularity.catalogueSize } : null,
  };
}

export function buildReport(p: Projection, sens: Sensitivity): ReportJson {
  const s = p.scenario;
  const baseTotal = p.base.total.optimizedPico;
  return {
    scenario: {
      name: s.name,
      description: s.description,
      catalog: s.catalogSource || 'embedded default catalog (list prices from @pydantic/genai-prices)',
      months: s.monthlyVolume.length,
      volume: s.volumeNote,
      monthly_requests: p.base.months.map((m) => m.requests),
      scale_factors: p.scales.map((x) => x.scale),
      reuse_grows_with_volume: s.reuseGrowsWithVolume,
      technique_order: [...TECHNIQUES],
      types: s.types.map((t) => typeJson(t, s)),
    },
    months: p.base.months.map(monthJson),
    totals: totalsJson(p.base.total),
    scales: p.scales.map((x, i) => ({
      scale: x.scale,
      months: x.months.map(monthJson),
      totals: totalsJson(x.total),
      optimized_vs_linear: baseTotal > 0n ? usd(x.total.optimizedPico) / (x.scale * usd(baseTotal)) : 1,
      rising_cache_rates: risingRates(x, p.ratesAt1x[i]!, p.base),
    })),
    sensitivity: {
      range: sens.range,
      metric: 'optimised cost at scale 1 with one assumption varied, all else as written',
      month1_optimized_usd: usd(sens.month1BasePico),
      total_optimized_usd: usd(sens.totalBasePico),
      rows: sens.rows.map((r) => ({
        assumption: r.assumption,
        month1_low_usd: usd(r.month1LowPico),
        month1_high_usd: usd(r.month1HighPico),
        total_low_usd: usd(r.totalLowPico),
        total_high_usd: usd(r.totalHighPico),
        swing_usd: usd(r.swingPico),
      })),
    },
  };
}
