// A self-contained HTML report (inline CSS and SVG, no scripts, no external requests) that can be
// attached to a proposal: headline numbers, the three charts, the tables and every assumption.
import { cents, dollars, percent } from './money.js';
import type { Charts } from './charts.js';
import { esc } from './svg.js';
import {
  generalAssumptions,
  monthTable,
  scaleTable,
  sensitivityTable,
  techniqueAssumptionsTable,
  TECHNIQUE_LABEL,
  typesTable,
  type ReportInput,
  type Table,
} from './rows.js';
import { TECHNIQUES } from '../engine.js';

const CSS = `
body{font-family:system-ui,-apple-system,"Segoe UI",sans-serif;margin:2rem auto;max-width:1100px;color:#222;padding:0 1rem}
h1{font-size:1.6rem;margin-bottom:.2rem}h2{font-size:1.2rem;margin-top:2rem;border-bottom:1px solid #ddd;padding-bottom:.2rem}
table{border-collapse:collapse;margin:.6rem 0;font-size:.85rem}th,td{border:1px solid #ddd;padding:.25rem .5rem;text-align:right}
th{background:#f4f6f7}td:first-child,th:first-child{text-align:left}tr.total td{font-weight:bold;background:#fafafa}
.headline{display:flex;gap:1rem;flex-wrap:wrap}.headline div{border:1px solid #ddd;border-radius:6px;padding:.6rem 1rem;min-width:12rem}
.headline b{display:block;font-size:1.3rem}.note{color:#555;font-size:.85rem}figure{margin:1rem 0}svg{max-width:100%;height:auto}
@page{size:A4 landscape;margin:10mm}
@media print{body{margin:0;max-width:none}table{font-size:.7rem}th,td{padding:.15rem .3rem}h2{page-break-after:avoid}figure,table{page-break-inside:avoid}}`;

function table(t: Table, totalLast = false): string {
  const head = `<tr>${t.head.map((h) => `<th>${esc(h)}</th>`).join('')}</tr>`;
  const rows = t.rows.map((r, i) => `<tr${totalLast && i === t.rows.length - 1 ? ' class="total"' : ''}>${r.map((c) => `<td>${esc(c)}</td>`).join('')}</tr>`);
  return `<table>\n${head}\n${rows.join('\n')}\n</table>`;
}

function scaleEffectsNote(json: ReportInput['json']): string {
  const top = json.scales[json.scales.length - 1];
  if (!top || top.rising_cache_rates.saving_usd === 0)
    return '<p class="note">Cache hit rates are fixed at the stated rates at every scale; the month tables show them.</p>';
  const r = top.rising_cache_rates;
  const share =
    r.share_of_sublinear_gap === null
      ? ''
      : `, ${(r.share_of_sublinear_gap * 100).toFixed(1)}% of the gap between the optimised total and a straight line from 1×`;
  return `<p class="note">Cache hit rates rise with the traffic (the month tables show each month's). At ${top.scale}× they save $${r.saving_usd.toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 })} against the same traffic with the 1× rates${esc(share)}.</p>`;
}

export function renderHtml(r: ReportInput, charts: Charts): string {
  const { projection: p, sensitivity: s, json } = r;
  const first = p.base.months[0]!;
  const last = p.base.months[p.base.months.length - 1]!;
  const top = p.scales[p.scales.length - 1]!;
  const lastAtTop = top.months[top.months.length - 1]!;
  const card = (label: string, value: string, note: string): string => `<div>${esc(label)}<b>${esc(value)}</b><span class="note">${esc(note)}</span></div>`;
  const biggest = s.rows[0];
  const body = [
    `<h1>${esc(json.scenario.name)}: cost projection</h1>`,
    json.scenario.description ? `<p>${esc(json.scenario.description)}</p>` : '',
    '<div class="headline">',
    card('Month 1 at launch scale', dollars(first.optimizedPico), `naive ${dollars(first.naivePico)}`),
    card(`Month ${last.month} at 1×`, dollars(last.optimizedPico), `naive ${dollars(last.naivePico)}`),
    card(`Month ${lastAtTop.month} at ${top.scale}×`, dollars(lastAtTop.optimizedPico), `naive ${dollars(lastAtTop.naivePico)}`),
    card(
      `Saving over ${p.base.months.length} months at 1×`,
      percent(p.base.total.naivePico - p.base.total.optimizedPico, p.base.total.naivePico),
      `${dollars(p.base.total.naivePico - p.base.total.optimizedPico)} of ${dollars(p.base.total.naivePico)}`,
    ),
    '</div>',
    '<h2>Cost per month</h2>',
    `<figure>${charts.cost}</figure>`,
    '<h2>Saving by technique</h2>',
    `<p class="note">Each technique is applied to what the ones before it left, in this order: ${TECHNIQUES.map((k) => TECHNIQUE_LABEL[k]).join(' → ')}. The savings add up exactly to naive − optimised; the order decides how that total is split between them.</p>`,
    `<figure>${charts.savings}</figure>`,
    '<h2>Scale comparison</h2>',
    `<figure>${charts.scales}</figure>`,
    table(scaleTable(p, json)),
    scaleEffectsNote(json),
    ...p.scales.flatMap((x) => [`<h2>Month by month at ${x.scale}× (USD)</h2>`, table(monthTable(x), true)]),
    `<h2>Sensitivity (each assumption ±${Math.round(s.range * 100)}%)</h2>`,
    `<p class="note">Optimised cost at 1× with one assumption varied, everything else as written: month 1 ${cents(s.month1BasePico)}, total ${cents(s.totalBasePico)}.${biggest ? ` The result moves most with <b>${esc(biggest.assumption)}</b>.` : ''}</p>`,
    table(sensitivityTable(s)),
    '<h2>Assumptions</h2>',
    table(generalAssumptions(json)),
    table(typesTable(json)),
    table(techniqueAssumptionsTable(json)),
    '<p class="note">Prices are list prices per token class (input, cache read, cache write, output) as costwise prices every request; money is summed exactly and rounded to the cent only for display. Generated by <code>costwise project</code>.</p>',
  ];
  return `<!doctype html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n<title>${esc(json.scenario.name)}: cost projection</title>\n<style>${CSS}</style>\n</head>\n<body>\n${body.filter(Boolean).join('\n')}\n</body>\n</html>\n`;
}
