// The report's tables as rows of display strings, shared by the table, Markdown, CSV and HTML
// renderers (money from the exact bigint sums, rounded to cents only here).
import { TECHNIQUES, type Technique } from '../engine.js';
import { cacheRates, type MonthResult, type Projection, type ScaleResult, type Totals } from '../project.js';
import type { Sensitivity } from '../sensitivity.js';
import type { ReportJson } from './model.js';
import { cents, percent } from './money.js';

export interface ReportInput {
  projection: Projection;
  sensitivity: Sensitivity;
  json: ReportJson;
}

export const TECHNIQUE_LABEL: Readonly<Record<Technique, string>> = {
  routing: 'routing',
  prompt_optimization: 'prompt optimisation',
  response_caching: 'response caching',
  prompt_caching: 'prompt caching',
  batching: 'batching',
};

export interface Table {
  head: string[];
  rows: string[][];
}

const savingCells = (s: Record<Technique, bigint>, money: (p: bigint) => string): string[] => TECHNIQUES.map((k) => money(s[k]));

export const rate = (v: number): string => `${(v * 100).toFixed(1)}%`;

export function monthTable(scale: ScaleResult, money: (p: bigint) => string = cents): Table {
  const row = (label: string, m: MonthResult | Totals, months: readonly MonthResult[]): string[] => {
    const r = cacheRates(months);
    return [
      label,
      String(m.requests),
      money(m.naivePico),
      money(m.optimizedPico),
      money(m.naivePico - m.optimizedPico),
      percent(m.naivePico - m.optimizedPico, m.naivePico),
      ...savingCells(m.savingsPico, money),
      rate(r.hitRate),
      rate(r.reuseRate),
    ];
  };
  return {
    head: [
      'month',
      'requests',
      'naive (USD)',
      'optimised (USD)',
      'saving (USD)',
      'saving %',
      ...TECHNIQUES.map((k) => TECHNIQUE_LABEL[k]),
      'response-cache hit rate',
      'prompt-cache reuse',
    ],
    rows: [...scale.months.map((m) => row(String(m.month), m, [m])), row('total', scale.total, scale.months)],
  };
}

export function scaleTable(p: Projection, json: ReportJson): Table {
  const last = p.base.months.length - 1;
  return {
    head: [
      'scale',
      'requests',
      'month 1 optimised',
      `month ${last + 1} optimised`,
      'naive total',
      'optimised total',
      'saving %',
      'optimised vs linear',
      'saved by rising cache rates',
    ],
    rows: p.scales.map((s, i) => [
      `${s.scale}×`,
      String(s.total.requests),
      cents(s.months[0]!.optimizedPico),
      cents(s.months[last]!.optimizedPico),
      cents(s.total.naivePico),
      cents(s.total.optimizedPico),
      percent(s.total.naivePico - s.total.optimizedPico, s.total.naivePico),
      `${(json.scales[i]!.optimized_vs_linear * 100).toFixed(1)}%`,
      risingRatesCell(json.scales[i]!.rising_cache_rates),
    ]),
  };
}

function risingRatesCell(r: ReportJson['scales'][number]['rising_cache_rates']): string {
  if (r.saving_usd === 0) return '-';
  const share = r.share_of_sublinear_gap === null ? '' : ` (${rate(r.share_of_sublinear_gap)} of the gap to linear)`;
  return `${r.saving_usd.toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 })}${share}`;
}

export function sensitivityTable(s: Sensitivity): Table {
  const pct = Math.round(s.range * 100);
  return {
    head: ['assumption', `month 1 at −${pct}%`, `month 1 at +${pct}%`, `total at −${pct}%`, `total at +${pct}%`, 'swing (total)'],
    rows: s.rows.map((r) => [r.assumption, cents(r.month1LowPico), cents(r.month1HighPico), cents(r.totalLowPico), cents(r.totalHighPico), cents(r.swingPico)]),
  };
}

const pctOf = (v: number): string => `${+(v * 100).toFixed(4)}%`;

export function typesTable(json: ReportJson): Table {
  return {
    head: ['request type', 'share', 'input tok', 'output tok', 'naive model', 'serve', 'served by'],
    rows: json.scenario.types.map((t) => [t.name, pctOf(t.share), String(t.input_tokens), String(t.output_tokens), t.naive_model, t.serve, t.served_model]),
  };
}

export function techniqueAssumptionsTable(json: ReportJson): Table {
  return {
    head: ['request type', 'prompt optimisation', 'exact hits', 'semantic hits', 'prefix share', 'prefix reuse', 'cache TTL', 'batchable'],
    rows: json.scenario.types.map((t) => [
      t.name,
      pctOf(t.prompt_optimization),
      pctOf(t.exact_hit_rate),
      pctOf(t.semantic_hit_rate),
      pctOf(t.prefix_share),
      pctOf(t.reuse_rate),
      t.ttl,
      pctOf(t.batchable_share),
    ]),
  };
}

function popularityRows(types: ReportJson['scenario']['types']): string[][] {
  const rows: string[][] = [];
  for (const t of types) {
    const e = t.exact_popularity;
    if (e)
      rows.push([
        `${t.name}: exact hits`,
        `derived each month: Zipf exponent ${e.zipf_exponent} over ${e.catalogue_size} keys, TTL ${e.ttl_seconds} s from the write (hit_i = λp_iT ÷ (1 + λp_iT))`,
      ]);
    const p = t.prefix_popularity;
    if (p)
      rows.push([
        `${t.name}: prefix reuse`,
        `derived each month: Zipf exponent ${p.zipf_exponent} over ${p.catalogue_size} prefixes, TTL ${t.ttl} refreshed on use (hit_i = 1 − e^(−λp_iT))`,
      ]);
  }
  return rows;
}

export function generalAssumptions(json: ReportJson): Table {
  const s = json.scenario;
  return {
    head: ['assumption', 'value'],
    rows: [
      ['scenario', s.name],
      ['months', String(s.months)],
      ['volume', s.volume],
      ['scale factors', s.scale_factors.map((f) => `${f}×`).join(', ')],
      ['prices', s.catalog],
      ['prompt-cache reuse', s.reuse_grows_with_volume ? 'rises with traffic: 1 − (1 − r)^load (more requests inside the TTL)' : 'fixed at the stated rate'],
      ...popularityRows(s.types),
      ['technique order', s.technique_order.map((k) => TECHNIQUE_LABEL[k]).join(' → ')],
      ['batch discount', '50% of the synchronous price on the OpenAI and Anthropic batch APIs (Gemini items run synchronously)'],
    ],
  };
}
