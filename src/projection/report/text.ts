// Terminal (cli-table3), Markdown and CSV renderings of a projection report.
import Table from 'cli-table3';
import { TECHNIQUES } from '../engine.js';
import { cacheRates } from '../project.js';
import { cents } from './money.js';
import {
  generalAssumptions,
  monthTable,
  scaleTable,
  sensitivityTable,
  techniqueAssumptionsTable,
  typesTable,
  type ReportInput,
  type Table as Rows,
} from './rows.js';

function terminal(t: Rows): string {
  const table = new Table({
    head: t.head,
    colAligns: t.head.map((_, i) => (i === 0 ? 'left' : 'right')),
    style: { head: [], border: [] },
    chars: { mid: '', 'left-mid': '', 'mid-mid': '', 'right-mid': '' },
  });
  for (const r of t.rows) table.push(r);
  return table.toString();
}

export function renderTable(r: ReportInput): string {
  const { projection: p, sensitivity: s, json } = r;
  const out: string[] = [
    `${json.scenario.name}: cost projection (USD)`,
    terminal(generalAssumptions(json)),
    terminal(typesTable(json)),
    terminal(techniqueAssumptionsTable(json)),
  ];
  for (const scale of p.scales) out.push(`\nScale ${scale.scale}× — month by month, saving by technique`, terminal(monthTable(scale)));
  out.push('\nScale comparison', terminal(scaleTable(p, json)));
  out.push(
    `\nSensitivity: optimised cost at scale 1 (month 1: ${cents(s.month1BasePico)}, total: ${cents(s.totalBasePico)}), one assumption varied ±${Math.round(s.range * 100)}%`,
    terminal(sensitivityTable(s)),
  );
  return out.join('\n') + '\n';
}

const mdCell = (v: string): string => v.replace(/\|/g, '\\|');

function markdownTable(t: Rows): string {
  const align = t.head.map((_, i) => (i === 0 ? '---' : '---:'));
  return [t.head, align, ...t.rows].map((r) => `| ${r.map(mdCell).join(' | ')} |`).join('\n');
}

export function renderMarkdown(r: ReportInput): string {
  const { projection: p, sensitivity: s, json } = r;
  const out: string[] = [`# ${json.scenario.name}: cost projection`];
  if (json.scenario.description) out.push(json.scenario.description.trim());
  out.push('## Assumptions', markdownTable(generalAssumptions(json)), markdownTable(typesTable(json)), markdownTable(techniqueAssumptionsTable(json)));
  out.push('## Scale comparison', markdownTable(scaleTable(p, json)));
  for (const scale of p.scales) out.push(`## Scale ${scale.scale}×: month by month (USD)`, markdownTable(monthTable(scale)));
  out.push(
    `## Sensitivity (±${Math.round(s.range * 100)}%)`,
    `Optimised cost at scale 1 with one assumption varied, everything else as written. Month 1: ${cents(s.month1BasePico)}; total: ${cents(s.totalBasePico)}.`,
    markdownTable(sensitivityTable(s)),
  );
  return out.join('\n\n') + '\n';
}

const rates = (r: { hitRate: number; reuseRate: number }): string[] => [r.hitRate.toFixed(6), r.reuseRate.toFixed(6)];

const csvCell = (v: string): string => (/[",\n]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v);

/** One row per scale and month (totals excluded), money in USD to the cent. */
export function renderCsv(r: ReportInput): string {
  const head = [
    'scale',
    'month',
    'requests',
    'naive_cost_usd',
    'optimized_cost_usd',
    ...TECHNIQUES.map((k) => `saving_${k}_usd`),
    'response_cache_hit_rate',
    'prompt_cache_reuse_rate',
  ];
  const lines = [head.join(',')];
  for (const scale of r.projection.scales) {
    for (const m of scale.months) {
      lines.push(
        [
          String(scale.scale),
          String(m.month),
          String(m.requests),
          cents(m.naivePico, false),
          cents(m.optimizedPico, false),
          ...TECHNIQUES.map((k) => cents(m.savingsPico[k], false)),
          ...rates(cacheRates([m])),
        ]
          .map(csvCell)
          .join(','),
      );
    }
  }
  return lines.join('\n') + '\n';
}
