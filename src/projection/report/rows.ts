// The report's tables as rows of display strings, shared by the table, Markdown, CSV and HTML
// renderers (money from the exact bigint sums, rounded to cents only here).
import { TECHNIQUES, type Technique } from '../engine.js';
import type { MonthResult, Projection, ScaleResult, Totals } from '../project.js';
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

export function monthTable(scale: ScaleResult, money: (p: bigint) => string = cents): Table {
  const row = (label: string, m: MonthResult | Totals): string[] => [
    label,
    String(m.requests),
    money(m.naivePico),
    money(m.optimizedPico),
    money(m.naivePico - m.optimizedPico),
    percent(m.naivePico - m.optimizedPico, m.naivePico),
    ...savingCells(m.savingsPico, money),
  ];
  return {
    head: ['month', 'requests', 'naive (USD)', 'optimised (USD)', 'saving (USD)', 'saving %', ...TECHNIQUES.map((k) => TECHNIQUE_LABEL[k])],
    rows: [...scale.months.map((m) => row(String(m.month), m)), row('total', scale.total)],
  };
}

export function scaleTable(p: Projection, json: ReportJson): Table {
  const last = p.base.months.length - 1;
  return {
    head: ['scale', 'requests', 'month 1 optimised', `month ${last + 1} optimised`, 'naive total', 'optimised total', 'saving %', 'optimised vs linear'],
    rows: p.scales.map((s, i) => [
      `${s.scale}×`,
      String(s.total.requests),
      cents(s.months[0]!.optimizedPico),
      cents(s.months[last]!.optimizedPico),
      cents(s.total.naivePico),
      cents(s.total.optimizedPico),
      percent(s.total.naivePico - s.total.optimizedPico, s.total.naivePico),
      `${(json.scales[i]!.optimized_vs_linear * 100).toFixed(1)}%`,
    ]),
  };
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
      ['technique order', s.technique_order.map((k) => TECHNIQUE_LABEL[k]).join(' → ')],
      ['batch discount', '50% of the synchronous price on the OpenAI and Anthropic batch APIs (Gemini items run synchronously)'],
    ],
  };
}
