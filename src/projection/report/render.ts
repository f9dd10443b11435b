// One entry point from a projection to the requested format, plus the chart files an HTML report
// writes next to itself.
import { basename, dirname, extname, join } from 'node:path';
import type { Projection } from '../project.js';
import type { Sensitivity } from '../sensitivity.js';
import { renderCharts } from './charts.js';
import { renderHtml } from './html.js';
import { buildReport } from './model.js';
import type { ReportInput } from './rows.js';
import { htmlToPdf } from './chromium.js';
import { renderCsv, renderMarkdown, renderTable } from './text.js';
import { chartImages } from './xlsx/charts-sheet.js';
import { renderXlsx } from './xlsx/workbook.js';

export const FORMATS = ['table', 'json', 'csv', 'md', 'html', 'xlsx', 'pdf'] as const;
export type Format = (typeof FORMATS)[number];

/** Formats that are files, not text: they need --out. */
export const BINARY_FORMATS: ReadonlySet<Format> = new Set(['xlsx', 'pdf']);

export interface Rendered {
  /** The report itself (to --out or standard output); empty for the binary formats. */
  text: string;
  /** The workbook or PDF (to --out). */
  bytes?: Uint8Array;
  /** Files written next to --out: path → content (the HTML report's charts). */
  extra: Map<string, string>;
}

/** `report.html` → `report-cost.svg`, `report-savings.svg`, `report-scales.svg`. */
export function chartPaths(out: string): { cost: string; savings: string; scales: string } {
  const stem = join(dirname(out), basename(out, extname(out)));
  return { cost: `${stem}-cost.svg`, savings: `${stem}-savings.svg`, scales: `${stem}-scales.svg` };
}

export async function render(projection: Projection, sensitivity: Sensitivity, format: Format, out?: string): Promise<Rendered> {
  const json = buildReport(projection, sensitivity);
  const input: ReportInput = { projection, sensitivity, json };
  const extra = new Map<string, string>();
  switch (format) {
    case 'json':
      return { text: JSON.stringify(json, null, 2) + '\n', extra };
    case 'csv':
      return { text: renderCsv(input), extra };
    case 'md':
      return { text: renderMarkdown(input), extra };
    case 'table':
      return { text: renderTable(input), extra };
    case 'html': {
      const charts = renderCharts(json);
      if (out) {
        const paths = chartPaths(out);
        extra.set(paths.cost, charts.cost + '\n');
        extra.set(paths.savings, charts.savings + '\n');
        extra.set(paths.scales, charts.scales + '\n');
      }
      return { text: renderHtml(input, charts), extra };
    }
    case 'xlsx':
      return { text: '', bytes: await renderXlsx(input, { charts: await chartImages(renderCharts(json)) }), extra };
    case 'pdf':
      return { text: '', bytes: await htmlToPdf(renderHtml(input, renderCharts(json))), extra };
  }
}
