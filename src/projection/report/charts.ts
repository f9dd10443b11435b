// The report's three charts as standalone SVG documents: cost per month (naive vs optimised),
// saving by technique per month (stacked; a negative saving stacks below zero), and the scale
// comparison (totals per scale factor against a straight-line extrapolation of scale 1).
import { TECHNIQUES, type Technique } from '../engine.js';
import type { ReportJson } from './model.js';
import { TECHNIQUE_LABEL } from './rows.js';
import { esc, frame, legend, shortUsd } from './svg.js';

const f = (v: number): string => v.toFixed(1);

export const COLORS = { naive: '#c0392b', optimized: '#1e8449', linear: '#555' } as const;
export const TECHNIQUE_COLORS: Readonly<Record<Technique, string>> = {
  routing: '#2e86c1',
  prompt_optimization: '#8e44ad',
  response_caching: '#16a085',
  prompt_caching: '#f39c12',
  batching: '#7f8c8d',
};

export function costChart(r: ReportJson): string {
  const months = r.months;
  const max = Math.max(0, ...months.map((m) => Math.max(m.naive_cost_usd, m.optimized_cost_usd)));
  const fr = frame(
    `Cost per month at 1× (USD): naive vs optimised`,
    months.map((m) => String(m.month)),
    0,
    max,
    'month',
  );
  const line = (key: 'naive_cost_usd' | 'optimized_cost_usd', color: string): string[] => {
    const pts = months.map((m, i) => `${f(fr.slot(i))},${f(fr.y(m[key]))}`);
    return [
      `<polyline fill="none" stroke="${color}" stroke-width="2.5" points="${pts.join(' ')}"/>`,
      ...months.map(
        (m, i) =>
          `<circle cx="${f(fr.slot(i))}" cy="${f(fr.y(m[key]))}" r="3" fill="${color}"><title>month ${m.month}: ${esc(shortUsd(m[key]))}</title></circle>`,
      ),
    ];
  };
  return [
    ...fr.parts,
    ...line('naive_cost_usd', COLORS.naive),
    ...line('optimized_cost_usd', COLORS.optimized),
    ...legend([
      { label: 'naive', color: COLORS.naive },
      { label: 'optimised', color: COLORS.optimized },
    ]),
    '</svg>',
  ].join('\n');
}

export function savingsChart(r: ReportJson): string {
  const months = r.months;
  const pos = months.map((m) => TECHNIQUES.reduce((s, k) => s + Math.max(0, m.savings_usd[k]), 0));
  const neg = months.map((m) => TECHNIQUES.reduce((s, k) => s + Math.min(0, m.savings_usd[k]), 0));
  const fr = frame(
    'Saving by technique per month at 1× (USD)',
    months.map((m) => String(m.month)),
    Math.min(0, ...neg),
    Math.max(0, ...pos),
    'month',
  );
  const bw = fr.slotWidth * 0.7;
  const parts = [...fr.parts];
  months.forEach((m, i) => {
    let up = 0;
    let down = 0;
    for (const k of TECHNIQUES) {
      const v = m.savings_usd[k];
      if (v === 0) continue;
      const from = v > 0 ? up : down;
      const to = from + v;
      if (v > 0) up = to;
      else down = to;
      const y1 = fr.y(Math.max(from, to));
      const y2 = fr.y(Math.min(from, to));
      parts.push(
        `<rect x="${f(fr.slot(i) - bw / 2)}" y="${f(y1)}" width="${f(bw)}" height="${f(Math.max(0.5, y2 - y1))}" fill="${TECHNIQUE_COLORS[k]}"><title>month ${m.month}, ${TECHNIQUE_LABEL[k]}: ${esc(shortUsd(v))}</title></rect>`,
      );
    }
  });
  parts.push(...legend(TECHNIQUES.map((k) => ({ label: TECHNIQUE_LABEL[k], color: TECHNIQUE_COLORS[k] }))), '</svg>');
  return parts.join('\n');
}

export function scaleChart(r: ReportJson): string {
  const base = r.totals.optimized_cost_usd;
  const rows = r.scales.map((s) => ({ scale: s.scale, naive: s.totals.naive_cost_usd, optimized: s.totals.optimized_cost_usd, linear: base * s.scale }));
  const max = Math.max(0, ...rows.map((x) => Math.max(x.naive, x.optimized, x.linear)));
  const fr = frame(
    `Total over ${r.scenario.months} months by scale factor (USD)`,
    rows.map((x) => `${x.scale}×`),
    0,
    max,
    "scale factor (× the scenario's volume)",
  );
  const bw = fr.slotWidth * 0.3;
  const parts = [...fr.parts];
  rows.forEach((x, i) => {
    const c = fr.slot(i);
    const bar = (left: number, v: number, color: string, label: string): string =>
      `<rect x="${f(left)}" y="${f(fr.y(v))}" width="${f(bw)}" height="${f(Math.max(0.5, fr.y(0) - fr.y(v)))}" fill="${color}"><title>${x.scale}× ${label}: ${esc(shortUsd(v))}</title></rect>`;
    parts.push(bar(c - bw, x.naive, COLORS.naive, 'naive'), bar(c, x.optimized, COLORS.optimized, 'optimised'));
    parts.push(
      `<line x1="${f(c - 4)}" y1="${f(fr.y(x.linear))}" x2="${f(c + bw + 4)}" y2="${f(fr.y(x.linear))}" stroke="${COLORS.linear}" stroke-width="2" stroke-dasharray="4 3"/>`,
    );
    parts.push(`<text x="${f(c + bw / 2)}" y="${f(fr.y(x.optimized) - 4)}" text-anchor="middle">${esc(shortUsd(x.optimized))}</text>`);
  });
  parts.push(
    ...legend([
      { label: 'naive', color: COLORS.naive },
      { label: 'optimised', color: COLORS.optimized },
      { label: 'optimised 1× × scale', color: COLORS.linear, dashed: true },
    ]),
    '</svg>',
  );
  return parts.join('\n');
}

export interface Charts {
  cost: string;
  savings: string;
  scales: string;
}

export function renderCharts(r: ReportJson): Charts {
  return { cost: costChart(r), savings: savingsChart(r), scales: scaleChart(r) };
}
