// `costwise project --format xlsx`: the projection as a live cost model. Inputs and Prices hold the
// assumptions, one sheet per scale factor recomputes every month with formulas on them, and
// Summary quotes the headline lines. Cached results are the engine's own numbers.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { Workbook } from '@cj-tech-master/excelts';
import type { Deployment } from '../../../config/catalog.js';
import { servingModel } from '../../route.js';
import type { ReportInput } from '../rows.js';
import { addChartsSheet, type ChartImage } from './charts-sheet.js';
import { addInputsSheet, INPUTS_SHEET } from './inputs-sheet.js';
import { addMonthsSheet } from './months-sheet.js';
import { addPopularitySheet } from './popularity-sheet.js';
import { addPricesSheet } from './prices-sheet.js';
import { addSensitivitySheets } from './sensitivity-sheets.js';
import { addSummarySheet } from './summary-sheet.js';

let pricesVersion: string | undefined;

/** The version of the price library the embedded catalog comes from. */
function genaiPricesVersion(): string {
  if (pricesVersion === undefined) {
    try {
      const entry = createRequire(import.meta.url).resolve('@pydantic/genai-prices');
      const pkg = JSON.parse(readFileSync(join(dirname(entry), '..', 'package.json'), 'utf8')) as { version?: string };
      pricesVersion = pkg.version ?? '';
    } catch {
      pricesVersion = '';
    }
  }
  return pricesVersion;
}

function priceSource(d: Deployment, catalogSource: string): string {
  if (d.pricing.source === 'config') return `negotiated price in ${catalogSource || 'the config'}`;
  const version = genaiPricesVersion();
  return `list price, @pydantic/genai-prices${version ? ` ${version}` : ''}`;
}

export interface XlsxOptions {
  /** The chart pictures, or why there are none (charts-sheet.ts). */
  charts: ChartImage[] | string;
  now?: Date;
}

export async function renderXlsx(r: ReportInput, opts: XlsxOptions): Promise<Uint8Array> {
  const now = opts.now ?? new Date();
  const { projection: p } = r;
  const s = p.scenario;
  const deployments = new Map<string, Deployment>();
  for (const d of s.available) deployments.set(d.name, d);
  for (const t of s.types) {
    deployments.set(t.naive.name, t.naive);
    const served = servingModel(t, s.available);
    if (served) deployments.set(served.name, served);
  }

  const wb = new Workbook();
  wb.creator = 'costwise project';
  wb.created = now;
  wb.calcProperties.fullCalcOnLoad = true;
  const inputs = addInputsSheet(wb, s);
  const prices = addPricesSheet(wb, {
    models: [...deployments.values()],
    source: (d) => priceSource(d, s.catalogSource),
    asOf: now.toISOString().slice(0, 10),
    batchPercent: inputs.batchPercent,
  });
  const inputsSheet = wb.getWorksheet(INPUTS_SHEET)!;
  for (const address of inputs.modelCells) inputsSheet.getCell(address).dataValidation = { type: 'list', allowBlank: false, formulae: [prices.modelList] };
  const popularity = addPopularitySheet(wb, s, inputs);
  const months = p.scales.map((result) => addMonthsSheet(wb, { scenario: s, result, inputs, prices, popularity, deployments }));
  addSummarySheet(wb, {
    projection: p,
    sensitivity: r.sensitivity,
    months,
    sensitivityMonths: addSensitivitySheets(wb, { scenario: s, sensitivity: r.sensitivity, inputs, prices, popularity, deployments }),
  });
  addChartsSheet(wb, opts.charts);
  const buffer = await wb.xlsx.writeBuffer();
  return new Uint8Array(buffer);
}
